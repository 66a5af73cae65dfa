-- Zendesk: full scans, content, column mapping, joins, rescans, LIMIT,
-- ORDER BY, id lookups, materialized views
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
CREATE SERVER zendesk FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zendesk
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
-- IMPORT FOREIGN SCHEMA
IMPORT FOREIGN SCHEMA nope FROM SERVER zendesk INTO public;
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA audit EXCEPT (zendesk_audit) FROM SERVER zendesk INTO imp;
\det imp.*
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER zendesk INTO imp;
DROP SCHEMA imp CASCADE;
IMPORT FOREIGN SCHEMA audit FROM SERVER zendesk INTO public;
\d zendesk_audit
-- full scan: every record exactly once, paged by 100 with cursors
SELECT count(*), count(DISTINCT id), min(created_at), max(created_at) FROM zendesk_audit;
SELECT count(*) AS requests, count(*) FILTER (WHERE line LIKE '%page[after]=%') AS with_cursor,
       bool_and(line LIKE '200 GET /api/v2/audit_logs?filter[created_at][]=1970-01-01T00:00:00Z&filter[created_at][]=%&page[size]=100%') AS shape
  FROM emu_log('zendesk');
-- the ground truth for later comparisons: the emulator's own records
-- (/_emu/dump, as the API returns them), never a copy read through the FDW;
-- the full scan returns exactly these
CREATE TABLE zd_all AS
  SELECT (jsonb_populate_record(NULL::zendesk_audit, d || jsonb_build_object('raw', d))).*
    FROM emu_dump('zendesk') d;
SELECT same_rows('SELECT * FROM zendesk_audit', 'zendesk_audit', 'zd_all');
SELECT emu_clear('zendesk');
-- content: non-ASCII, IPv6, system actor without IP, absent action_label
SELECT id, created_at, actor_id, actor_name, ip_address, action, action_label, source_type
  FROM zd_all ORDER BY id LIMIT 3;
SELECT count(*) FILTER (WHERE actor_name ~ '[^\x01-\x7f]') > 0 AS non_ascii_names,
       count(*) FILTER (WHERE family(ip_address) = 6) > 0 AS ipv6,
       count(*) FILTER (WHERE actor_id = -1 AND ip_address IS NULL) > 0 AS system_actor,
       count(*) FILTER (WHERE action_label IS NULL AND NOT raw ? 'action_label') > 0 AS absent_label,
       count(*) FILTER (WHERE change_description LIKE '%' || chr(10) || '%') > 0 AS newlines,
       bool_and(raw->>'id' = id::text AND (raw->>'created_at')::timestamptz = created_at) AS raw_matches
  FROM zd_all;
-- bursts of identical created_at seconds are all there
SELECT count(*) AS seconds_with_bursts FROM (
  SELECT created_at FROM zd_all GROUP BY 1 HAVING count(*) > 1) b;
-- a hand-written table: any subset, any order, column_name mapping
CREATE FOREIGN TABLE zd_small (
  "when" timestamptz OPTIONS (column_name 'created_at'),
  who text OPTIONS (column_name 'actor_name'),
  id bigint,
  "Action" text
) SERVER zendesk OPTIONS (page_size '37');
SELECT count(*), count(DISTINCT id) FROM zd_small;
SELECT (SELECT count(*) FROM (SELECT id, "when", who, "Action" FROM zd_small
        EXCEPT ALL SELECT id, created_at, actor_name, action FROM zd_all) d) AS missing_or_extra;
SELECT count(*) AS requests, bool_and(line LIKE '%page[size]=37%') AS page_size_37, string_agg(CASE WHEN line NOT LIKE '%page[size]=37%' THEN line END, ' ') AS strays FROM emu_log('zendesk');
-- one scan reuses one keep-alive connection for all its pages, gzip-encoded
ALTER FOREIGN TABLE zd_small OPTIONS (ADD concurrency '1');
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
SELECT count(*) FROM zd_small;
SELECT s->'requests' AS requests, s->'connections' AS connections,
       s->'gzip_responses' = s->'requests' AS all_gzip
  FROM (SELECT string_agg(e, '')::jsonb AS s FROM emu('zendesk', '/_emu/stats') e) x;
SELECT emu_clear('zendesk');
-- unknown column names fail at the first scan and list the valid ones
CREATE FOREIGN TABLE zd_bad (id bigint, colour text) SERVER zendesk;
SELECT * FROM zd_bad;
DROP FOREIGN TABLE zd_bad;
-- a column declared with another type goes through that type's input function
CREATE FOREIGN TABLE zd_text (id text, created_at text, ip_address text) SERVER zendesk;
SELECT id, created_at, ip_address FROM zd_text ORDER BY id LIMIT 2;
-- a conversion error names the column and the table
CREATE FOREIGN TABLE zd_conv (actor_name bigint) SERVER zendesk;
SELECT * FROM zd_conv LIMIT 1;
-- only the columns a query reads are converted
SELECT count(*) FROM zd_conv;
DROP FOREIGN TABLE zd_text, zd_conv;
SELECT emu_clear('zendesk');
-- LIMIT asks for a small page and stops paging early
SELECT count(*) FROM (SELECT id FROM zendesk_audit LIMIT 3) s;
SELECT * FROM emu_log('zendesk');
-- ORDER BY created_at goes to the vendor as sort; results match the local copy
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, created_at FROM zendesk_audit ORDER BY created_at DESC LIMIT 5;
SELECT id, created_at FROM zendesk_audit ORDER BY created_at DESC LIMIT 5;
SELECT * FROM emu_log('zendesk');
SELECT (SELECT array_agg(created_at) FROM (SELECT created_at FROM zendesk_audit ORDER BY created_at LIMIT 250) a)
     = (SELECT array_agg(created_at) FROM (SELECT created_at FROM zd_all ORDER BY created_at LIMIT 250) b) AS asc_matches;
SELECT line FROM emu_log('zendesk') LIMIT 1;
-- id = goes to the show endpoint; an unknown id is no row, not an error
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM zendesk_audit WHERE id = 1000222;
SELECT id, actor_name, action FROM zendesk_audit WHERE id = (SELECT min(id) FROM zd_all);
SELECT count(*) FROM zendesk_audit WHERE id = 42;
SELECT * FROM emu_log('zendesk');
-- join with a local table
CREATE TABLE employees (zendesk_id bigint, department text);
INSERT INTO employees
  SELECT actor_id, CASE WHEN actor_id % 2 = 0 THEN 'Support' ELSE 'IT' END
    FROM (SELECT DISTINCT actor_id FROM zd_all WHERE actor_id > 0 ORDER BY actor_id LIMIT 10) a;
ANALYZE employees;
SELECT e.department, count(*) FROM zendesk_audit a JOIN employees e ON e.zendesk_id = a.actor_id
  GROUP BY 1 ORDER BY 1;
SELECT e.department, count(*) FROM zd_all a JOIN employees e ON e.zendesk_id = a.actor_id
  GROUP BY 1 ORDER BY 1;
-- a nested loop sends the join value to the vendor: one filtered request
-- per outer row (a parameterized scan), exact rows
SET enable_hashjoin = off; SET enable_mergejoin = off;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT a.id, e.department FROM zendesk_audit a JOIN employees e ON e.zendesk_id = a.actor_id;
SELECT emu_clear('zendesk');
SELECT count(*), count(DISTINCT a.id) FROM zendesk_audit a JOIN employees e ON e.zendesk_id = a.actor_id;
SELECT count(*) AS requests, count(DISTINCT substring(line from 'filter\[actor_id\]=(\d+)')) AS actors
  FROM emu_log('zendesk') WHERE line NOT LIKE '%page[after]%';
SELECT count(*) FROM zd_all a JOIN employees e ON e.zendesk_id = a.actor_id;
RESET enable_hashjoin; RESET enable_mergejoin;
-- rescans (forced nested loop) see the same rows every time
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM (VALUES ('login'), ('update'), ('create')) v(a)
  JOIN zendesk_audit z ON z.action = v.a;
SELECT count(*) FROM (VALUES ('login'), ('update'), ('create')) v(a) JOIN zendesk_audit z ON z.action = v.a;
SELECT count(*) FROM (VALUES ('login'), ('update'), ('create')) v(a) JOIN zd_all z ON z.action = v.a;
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;
-- a self-join in one statement sees one pinned "now"
SELECT count(*) FROM zendesk_audit a JOIN zendesk_audit b USING (id);
-- materialized view and refresh
CREATE MATERIALIZED VIEW audit_by_action AS
  SELECT action, count(*) AS n FROM zendesk_audit GROUP BY action;
SELECT * FROM audit_by_action ORDER BY action;
REFRESH MATERIALIZED VIEW audit_by_action;
SELECT sum(n) FROM audit_by_action;
SELECT emu_clear('zendesk');
