-- Pushdown policy: a filter whose spelling at the vendor the vendor's
-- documents do not confirm stays local unless push_unconfirmed_filters is
-- on; only columns declared with the catalogue's type (and the type's own
-- comparison) are pushed.  A wrong guess may cost speed, never rows.
\getenv zoho_port EMU_ZOHO_MAIL_PORT
\set zoho_url 'http://127.0.0.1:' :zoho_port
\getenv zs_port EMU_ZSCALER_PORT
\set zs_url 'http://127.0.0.1:' :zs_port
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port

-- the option is a boolean, on servers and tables only
CREATE SERVER pp_bad FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', zoid '57047751',
           push_unconfirmed_filters 'maybe');
CREATE SERVER pp_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', zoid '57047751',
           min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER pp_zoho OPTIONS (push_unconfirmed_filters 'on');
CREATE USER MAPPING FOR CURRENT_USER SERVER pp_zoho OPTIONS (oauth_token 'zoho-test-oauth');
CREATE FOREIGN TABLE pp_zoho_audit (request_time timestamptz, performed_by text,
                                    operation_type text, status text, raw jsonb)
  SERVER pp_zoho;

-- Zoho Mail: searchKey status is not confirmed by the docs
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');
-- by default it stays local: EXPLAIN says why, and it is never sent
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT raw FROM pp_zoho_audit
   WHERE status = 'failure' AND operation_type = 'UPDATE' AND request_time >= '2026-10-15';
-- the ground truth: every row, no filter sent
CREATE TEMP TABLE pp_zoho_all AS SELECT * FROM pp_zoho_audit;
SELECT count(*) AS rows, count(*) FILTER (WHERE status = 'failure') > 0 AS has_failures
  FROM pp_zoho_all;
SELECT emu_clear('zoho_mail');
SELECT same_rows($$SELECT raw FROM pp_zoho_audit WHERE status = 'failure'$$,
                 'pp_zoho_audit', 'pp_zoho_all');
SELECT count(*) AS requests, count(*) FILTER (WHERE line LIKE '%searchKey%') AS with_search_key
  FROM emu_log('zoho_mail');
-- turned on, it goes out (and EXPLAIN marks it), with the same rows: the
-- vendor's own filter agrees with SQL here
ALTER SERVER pp_zoho OPTIONS (ADD push_unconfirmed_filters 'on');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT raw FROM pp_zoho_audit
   WHERE status = 'failure' AND operation_type = 'UPDATE' AND request_time >= '2026-10-15';
SELECT same_rows($$SELECT raw FROM pp_zoho_audit WHERE status = 'failure'$$,
                 'pp_zoho_audit', 'pp_zoho_all');
-- the vendor compares status without case; SQL does not, and the local
-- recheck keeps the result exact
SELECT same_rows($$SELECT raw FROM pp_zoho_audit WHERE status = 'FAILURE'$$,
                 'pp_zoho_audit', 'pp_zoho_all');
SELECT regexp_replace(emu_now(line), 'lastEntityId=[^&]*&lastIndexTime=\d+', '<cursors>') AS request
  FROM emu_log('zoho_mail');
-- a tenant whose status values are spelled otherwise (codes): sent, the
-- guess silently matches nothing, and the user gets what they asked for
SELECT emu('zoho_mail', '/_emu/config?status_search=code') IS NOT NULL;
SELECT count(*) AS rows_with_option_on FROM pp_zoho_audit WHERE status = 'failure';
SELECT count(*) FILTER (WHERE line LIKE '%searchKey=status:failure%') AS sent
  FROM emu_log('zoho_mail');
-- with the default (here a table option overriding the server's) the rows
-- are all there, whatever the tenant's spelling
CREATE FOREIGN TABLE pp_zoho_safe (request_time timestamptz, performed_by text,
                                   operation_type text, status text, raw jsonb)
  SERVER pp_zoho OPTIONS (push_unconfirmed_filters 'off');
EXPLAIN (VERBOSE, COSTS OFF) SELECT raw FROM pp_zoho_safe WHERE status = 'failure';
SELECT same_rows($$SELECT raw FROM pp_zoho_safe WHERE status = 'failure'$$,
                 'pp_zoho_safe', 'pp_zoho_all');
SELECT count(*) FILTER (WHERE line LIKE '%searchKey%') AS with_search_key
  FROM emu_log('zoho_mail');
-- confirmed filters are sent either way, and an unconfirmed one that is
-- held back does not hold them back
SELECT same_rows($$SELECT raw FROM pp_zoho_safe WHERE status = 'failure' AND operation_type = 'DELETE'$$,
                 'pp_zoho_safe', 'pp_zoho_all');
SELECT regexp_replace(emu_now(line), 'lastEntityId=[^&]*&lastIndexTime=\d+', '<cursors>') AS request
  FROM emu_log('zoho_mail');
-- joins: a join value on an unconfirmed column is sent per outer row only
-- with the option (a parameterized scan), else never
SELECT emu('zoho_mail', '/_emu/config?status_search=text') IS NOT NULL;
CREATE TEMP TABLE pp_statuses (s text);
INSERT INTO pp_statuses VALUES ('failure');
ANALYZE pp_statuses;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT t.raw FROM pp_statuses x JOIN pp_zoho_audit t ON t.status = x.s;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT t.raw FROM pp_statuses x JOIN pp_zoho_safe t ON t.status = x.s;
SELECT same_rows($$SELECT t.raw FROM pp_statuses x JOIN pp_zoho_audit t ON t.status = x.s$$,
                 'pp_zoho_audit', 'pp_zoho_all');
SELECT count(*) FILTER (WHERE line LIKE '%searchKey=status:failure%') > 0 AS sent
  FROM emu_log('zoho_mail');
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');

-- Zscaler ZIA: the enum spellings of category and sub-category [U] and of
-- actionResult and actionInterface [I] are guesses; action codes are not
\set zs_emu 'anchor=now&report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0'
SELECT emu_reset('zscaler', :'zs_emu');
CREATE SERVER pp_zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url :'zs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER pp_zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
CREATE FOREIGN TABLE pp_zs_audit (time timestamptz, admin_name text, action text, result text,
                                  interface text, category text, subcategory text, raw jsonb)
  SERVER pp_zs;
-- pp_zs_bodies(): the report filters the emulator received since the last call
CREATE FUNCTION pp_zs_bodies() RETURNS TABLE (filters jsonb) LANGUAGE sql AS $$
  SELECT DISTINCT substring(e FROM ' (\{.*\})$')::jsonb - 'startTime' - 'endTime'
    FROM emu('zscaler', '/_emu/log?clear=1') e
   WHERE e ~ '^\d+ POST \S*/auditlogEntryReport \{' $$;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM pp_zs_audit
   WHERE time >= '2026-10-01' AND action = 'Update' AND admin_name = 'admin@example.com'
     AND result = 'FAILURE' AND interface = 'API' AND category = 'Login'
     AND subcategory IN ('Login', 'Activation');
-- the ground truth: the last 10 days, no filter sent
CREATE TEMP TABLE pp_zs_all AS
  SELECT * FROM pp_zs_audit WHERE time >= now() - interval '10 days';
SELECT count(*) > 0 AS has_rows, count(*) FILTER (WHERE interface = 'API') > 0 AS has_api,
       count(*) FILTER (WHERE category = 'Login') > 0 AS has_login
  FROM pp_zs_all;
SELECT count(*) AS reports_with_filters FROM pp_zs_bodies() WHERE filters <> '{}';
SELECT same_rows($$SELECT raw FROM pp_zs_audit WHERE time >= now() - interval '10 days' AND interface = 'API' AND category = 'Login'$$,
                 'pp_zs_audit', 'pp_zs_all', false);
SELECT filters FROM pp_zs_bodies();
-- with the option, they go out as the guessed enums; the rows agree here
ALTER SERVER pp_zs OPTIONS (ADD push_unconfirmed_filters 'true');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM pp_zs_audit
   WHERE time >= '2026-10-01' AND action = 'Update' AND admin_name = 'admin@example.com'
     AND result = 'FAILURE' AND interface = 'API' AND category = 'Login'
     AND subcategory IN ('Login', 'Activation');
SELECT same_rows($$SELECT raw FROM pp_zs_audit WHERE time >= now() - interval '10 days' AND interface = 'API' AND category = 'Login'$$,
                 'pp_zs_audit', 'pp_zs_all', false);
SELECT filters FROM pp_zs_bodies();
SELECT emu_reset('zscaler', :'zs_emu');

-- Types (7a): a column declared with another type than the catalogue's
-- compares differently from what the vendor would be sent, so it stays
-- local; varchar is text with text's own operators, so it is sent
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
CREATE EXTENSION citext;
CREATE SERVER pp_zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pp_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE FOREIGN TABLE pp_zd_typed (id bigint, created_at timestamptz, actor_id bigint,
                                  action text, source_type text, raw jsonb)
  SERVER pp_zd;
CREATE FOREIGN TABLE pp_zd_other (id numeric, created_at timestamp, actor_id numeric,
                                  action citext, source_type varchar(40), raw jsonb)
  SERVER pp_zd;
-- the truth: the emulator's own records (/_emu/dump), not a scan
CREATE TEMP TABLE pp_zd_all AS
  SELECT (jsonb_populate_record(NULL::pp_zd_typed, d || jsonb_build_object('raw', d))).*
    FROM emu_dump('zendesk') d;
SELECT same_rows('SELECT * FROM pp_zd_typed', 'pp_zd_typed', 'pp_zd_all');
SELECT actor_id AS some_actor FROM pp_zd_all WHERE actor_id > 0 ORDER BY id LIMIT 1 \gset
SELECT emu_clear('zendesk');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pp_zd_other
   WHERE actor_id = :some_actor AND action = 'UPDATE' AND created_at >= '2026-10-25'
     AND id = 1000000 AND source_type = 'user';
-- so does an IN list on citext (Zendesk takes IN only on action)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pp_zd_other WHERE action IN ('UPDATE', 'Login');
-- citext: 'UPDATE' finds the 'update' rows, which the vendor's exact
-- filter would not
SELECT count(*) = (SELECT count(*) FROM pp_zd_all WHERE action = 'update') AS all_update_rows,
       count(*) > 0 AS some
  FROM pp_zd_other WHERE action = 'UPDATE';
-- numeric: 1 = 1.0, and the vendor is never asked for actor 1.0
SELECT count(*) = (SELECT count(*) FROM pp_zd_all WHERE actor_id = :some_actor) AS all_actor_rows
  FROM pp_zd_other WHERE actor_id = :some_actor.0;
-- timestamp without time zone: the vendor's instants would be read in
-- TimeZone (here Tokyo, 9 hours off), so the range is not sent; the rows
-- are those plain SQL gives (the record's UTC wall clock in that day)
SET TimeZone = 'Asia/Tokyo';
SELECT count(*) = (SELECT count(*) FROM pp_zd_all
                    WHERE created_at >= '2026-10-25 00:00:00+00' AND created_at < '2026-10-26 00:00:00+00') AS utc_day,
       count(*) > 0 AS some
  FROM pp_zd_other WHERE created_at >= '2026-10-25' AND created_at < '2026-10-26';
RESET TimeZone;
SELECT count(*) AS requests,
       count(*) FILTER (WHERE line ~ 'filter\[(action|actor_id|ip_address)\]|created_at\]\[\]=2026') AS with_filters
  FROM emu_log('zendesk');
-- varchar: sent, rows exact
SELECT same_rows($$SELECT id, source_type FROM pp_zd_other WHERE source_type = 'rule'$$,
                 'pp_zd_other', 'pp_zd_all');
SELECT count(*) AS requests, bool_and(line LIKE '%filter[source_type]=rule%') AS sent
  FROM emu_log('zendesk');
-- the catalogue's types: sent as before
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pp_zd_typed
   WHERE actor_id = :some_actor AND action = 'update' AND created_at >= '2026-10-25';
-- a join on a column of another type gets no parameterized scan
SET enable_hashjoin = off;
SET enable_mergejoin = off;
CREATE TEMP TABLE pp_actors (actor numeric);
INSERT INTO pp_actors VALUES (:some_actor);
ANALYZE pp_actors;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id FROM pp_actors a JOIN pp_zd_other o ON o.actor_id = a.actor;
RESET enable_hashjoin;
RESET enable_mergejoin;
