-- Record pages are read without a DOM (src/json_page.c): whatever spacing
-- and escaping a vendor writes, every row equals the emulator's own record.
-- The emulator's json_style writes the same pages compact, pretty-printed
-- (indented, spaces around separators) or ASCII-only (every non-ASCII
-- character, e.g. the actor names, as a \u escape; surrogate pairs too).
SELECT * FROM emu_urls() \gset
CREATE SERVER js_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', page_size '40');
CREATE USER MAPPING FOR CURRENT_USER SERVER js_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER js_kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0', page_size '40');
CREATE USER MAPPING FOR CURRENT_USER SERVER js_kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER js_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url',
           zoid '57047751', min_request_interval_ms '0', page_size '40');
CREATE USER MAPPING FOR CURRENT_USER SERVER js_zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
CREATE SCHEMA js;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER js_zd INTO js;
IMPORT FOREIGN SCHEMA audit LIMIT TO (koreai_audit) FROM SERVER js_kore INTO js;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zoho_mail_audit) FROM SERVER js_zoho INTO js;

CREATE TABLE js_dump (e jsonb);
-- js_check(vendor, table, style): the whole records (raw) against the dump,
-- and the share of records with non-ASCII text (so escapes were read)
CREATE FUNCTION js_check(v text, tbl text, style text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  n bigint; missing bigint; extra bigint; non_ascii bigint;
BEGIN
  PERFORM emu_reset(v, 'records=120&rate_limit_per_min=0&json_style=' || style
                       || CASE WHEN v = 'koreai' THEN '&rate_limit_per_hour=0' ELSE '' END);
  DELETE FROM js_dump;
  INSERT INTO js_dump SELECT emu_dump(v);
  EXECUTE format('WITH f AS MATERIALIZED (SELECT raw FROM js.%I),
                       d AS MATERIALIZED (SELECT e FROM js_dump)
                  SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM (TABLE d EXCEPT ALL TABLE f) m),
                         (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE d) x),
                         (SELECT count(*) FROM f WHERE raw::text !~ ''^[[:ascii:]]*$'')', tbl)
    INTO n, missing, extra, non_ascii;
  RETURN format('%s rows, %s missing, %s extra, %s with non-ASCII text', n, missing, extra,
                CASE WHEN non_ascii > 0 THEN 'some' ELSE 'none' END);
END $$;
SELECT v AS vendor, s AS style, js_check(v, t, s) AS result
  FROM (VALUES ('zendesk', 'zendesk_audit'), ('koreai', 'koreai_audit'),
               ('zoho_mail', 'zoho_mail_audit')) vt (v, t),
       unnest(ARRAY['compact', 'pretty', 'ascii']) s
 ORDER BY 1, 2;

-- the columns, not only raw: Zendesk's against the dump's fields, ASCII-only
-- pages (names de-escaped from \u escapes) and pretty ones
SELECT emu_reset('zendesk', 'records=120&rate_limit_per_min=0&json_style=ascii');
CREATE TABLE js_zd_local AS
  SELECT (e->>'id')::bigint AS id, e->>'url' AS url, (e->>'created_at')::timestamptz AS created_at,
         (e->>'actor_id')::bigint AS actor_id, e->>'actor_name' AS actor_name,
         (e->>'ip_address')::inet AS ip_address, e->>'action' AS action,
         e->>'action_label' AS action_label, e->>'source_type' AS source_type,
         (e->>'source_id')::bigint AS source_id, e->>'source_label' AS source_label,
         e->>'change_description' AS change_description
    FROM emu_dump('zendesk') e;
SELECT same_rows($$SELECT id, url, created_at, actor_id, actor_name, ip_address, action, action_label,
                          source_type, source_id, source_label, change_description
                     FROM js.zendesk_audit$$, 'js.zendesk_audit', 'js_zd_local') AS ascii_columns;
SELECT emu_reset('zendesk', 'records=120&rate_limit_per_min=0&json_style=pretty');
SELECT same_rows($$SELECT id, url, created_at, actor_id, actor_name, ip_address, action, action_label,
                          source_type, source_id, source_label, change_description
                     FROM js.zendesk_audit$$, 'js.zendesk_audit', 'js_zd_local') AS pretty_columns;

SET client_min_messages = warning;
DROP SCHEMA js CASCADE;
DROP TABLE js_dump, js_zd_local;
DROP FUNCTION js_check(text, text, text);
DROP SERVER js_zd, js_kore, js_zoho CASCADE;
RESET client_min_messages;
