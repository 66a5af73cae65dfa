-- Shared setup for the regression tests: the extension, and emu(), a way to
-- drive the vendor emulator's control API (/_emu/...) from SQL.
-- Ports come from the environment (test/run-tests.sh); pg_regress echoes the
-- unexpanded lines, so expected output does not depend on them.
SET client_min_messages = warning;
CREATE EXTENSION auditlog_fdw;
RESET client_min_messages;
\getenv zd_port EMU_ZENDESK_PORT
CREATE TABLE emu_port (vendor text PRIMARY KEY, port int NOT NULL);
CREATE TABLE emu_out (n serial, line text);
INSERT INTO emu_port VALUES ('zendesk', :'zd_port');
\getenv kore_port EMU_KOREAI_PORT
INSERT INTO emu_port VALUES ('koreai', :'kore_port');
\getenv zoho_port EMU_ZOHO_MAIL_PORT
INSERT INTO emu_port VALUES ('zoho_mail', :'zoho_port');
\getenv zs_port EMU_ZSCALER_PORT
INSERT INTO emu_port VALUES ('zscaler', :'zs_port');
\getenv rs_port EMU_RESOLVER_PORT
INSERT INTO emu_port VALUES ('resolver', :'rs_port');
-- emu_urls(): every emulator's base URL, for `SELECT * FROM emu_urls() \gset`
CREATE FUNCTION emu_urls(OUT zd_url text, OUT kore_url text, OUT zoho_url text,
                         OUT zs_url text, OUT rs_url text)
LANGUAGE sql AS $$
  SELECT max(u) FILTER (WHERE vendor = 'zendesk'), max(u) FILTER (WHERE vendor = 'koreai'),
         max(u) FILTER (WHERE vendor = 'zoho_mail'), max(u) FILTER (WHERE vendor = 'zscaler'),
         max(u) FILTER (WHERE vendor = 'resolver')
    FROM (SELECT vendor, format('http://127.0.0.1:%s', port) AS u FROM emu_port) p $$;
-- emu(vendor, path): the emulator's answer, one row per line; an error
-- answer (e.g. a config key it rejects) fails the statement
CREATE FUNCTION emu(vendor text, path text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  p int;
BEGIN
  SELECT e.port INTO STRICT p FROM emu_port e WHERE e.vendor = emu.vendor;
  DELETE FROM emu_out;
  EXECUTE format('COPY emu_out (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E''\x01'', QUOTE E''\x02'')',
                 format('curl -sS --fail-with-body --noproxy ''*'' %s', quote_literal(format('http://127.0.0.1:%s%s', p, path))));
  RETURN QUERY SELECT o.line FROM emu_out o ORDER BY o.n;
END $$;
-- emu_reset(vendor, config): reset, then apply a config query string
CREATE FUNCTION emu_reset(vendor text, config text DEFAULT '') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM emu(vendor, '/_emu/reset');
  IF config <> '' THEN
    PERFORM emu(vendor, '/_emu/config?' || config);
  END IF;
END $$;
-- emu_now(text): times within 10 minutes of now (the pinned scan start, as
-- ISO-8601 or epoch seconds/ms) become <now>, so expected output is stable
CREATE FUNCTION emu_now(t text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  m text;
  v timestamptz;
BEGIN
  FOR m IN SELECT DISTINCT (regexp_matches(t, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z|\m\d{10}(?:\d{3})?\M', 'g'))[1] LOOP
    v := CASE WHEN m ~ '^\d{13}$' THEN to_timestamp(m::bigint / 1000.0)
              WHEN m ~ '^\d{10}$' THEN to_timestamp(m::bigint)
              ELSE m::timestamptz END;
    IF abs(extract(epoch FROM v - clock_timestamp())) < 600 THEN
      t := replace(t, m, '<now>');
    END IF;
  END LOOP;
  RETURN t;
END $$;
-- emu_log(vendor): the API requests since the last call (and clear them)
CREATE FUNCTION emu_log(vendor text) RETURNS TABLE (line text)
LANGUAGE sql AS $$ SELECT emu_now(e) FROM emu(vendor, '/_emu/log?clear=1') e $$;
-- emu_clear(vendor): forget the requests logged so far
CREATE FUNCTION emu_clear(vendor text) RETURNS void
LANGUAGE sql AS $$ SELECT count(*) FROM emu(vendor, '/_emu/log?clear=1') $$;
SELECT emu('zendesk', '/_emu/health');
-- same_rows(q, foreign_table, local_table): q over the foreign table returns
-- exactly the rows of q over a local copy of the whole table (as multisets,
-- EXCEPT ALL both ways, one scan); with_count false for conditions relative
-- to today, whose row count varies
CREATE FUNCTION same_rows(q text, foreign_table text, local_table text,
                          with_count bool DEFAULT true) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  n bigint; missing bigint; extra bigint;
BEGIN
  EXECUTE format('WITH f AS MATERIALIZED (%s), l AS MATERIALIZED (%s)
                  SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM (TABLE l EXCEPT ALL TABLE f) m),
                         (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE l) e)',
                 q, replace(q, foreign_table, local_table))
    INTO n, missing, extra;
  IF NOT with_count THEN
    RETURN format('%s missing, %s extra', missing, extra);
  END IF;
  RETURN format('%s rows, %s missing, %s extra', n, missing, extra);
END $$;
-- emu_dump(vendor): the emulator's own data set (/_emu/dump), one jsonb per
-- record: the ground truth, never a copy read back through the FDW
CREATE FUNCTION emu_dump(vendor text) RETURNS SETOF jsonb
LANGUAGE sql AS $$
  SELECT jsonb_array_elements(string_agg(l, E'\n')::jsonb) FROM emu(vendor, '/_emu/dump') l $$;
-- try(query): run it, and show the error as SQLSTATE, message, detail, hint
CREATE FUNCTION try(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hin text; n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM (' || query || ') q' INTO n;
  RETURN 'ok: ' || n || ' rows';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
  RETURN regexp_replace(emu_now(regexp_replace(
           st || ': ' || msg || coalesce(E'\nDETAIL: ' || nullif(det, ''), '')
           || coalesce(E'\nHINT: ' || nullif(hin, ''), ''),
           'page\[after\]=[^& :]*', 'page[after]=<cursor>', 'g'))
         -- emulator ports vary from run to run
         , '127\.0\.0\.1:\d+', '127.0.0.1:<port>', 'g');
END $$;
