-- Zendesk: every pushdown rule, proven three ways: EXPLAIN shows the
-- request, the emulator's log shows what was sent, and the rows equal
-- those of the same query over a local copy of the whole table (zd_all).
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
-- one cursor chain per scan, so that the log shows each scan's own requests
-- (a range split into concurrent sub-windows: concurrency.sql)
ALTER FOREIGN TABLE zendesk_audit OPTIONS (ADD concurrency '1');
-- same(q): the foreign query q returns exactly the rows of q over zd_all
CREATE FUNCTION same(q text, with_count bool DEFAULT true) RETURNS text
LANGUAGE sql AS $$ SELECT same_rows(q, 'zendesk_audit', 'zd_all', with_count) $$;
-- time ranges: both bounds always sent, widened by 1 s (inclusivity is
-- undocumented); an open upper bound is the pinned scan start
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM zendesk_audit WHERE created_at >= '2026-10-20 00:00:00+00' AND created_at < '2026-10-21 00:00:00+00';
SELECT emu_clear('zendesk');
SELECT same($$SELECT id, created_at FROM zendesk_audit WHERE created_at >= '2026-10-20 00:00:00+00' AND created_at < '2026-10-21 00:00:00+00'$$);
SELECT DISTINCT regexp_replace(line, '&page\[after\]=[^&]*', '') FROM emu_log('zendesk');
-- boundaries inside bursts of identical seconds, in each bound mode the
-- vendor might have
CREATE TABLE burst AS
  SELECT created_at FROM zd_all GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 2;
SELECT count(*) FROM burst;
SELECT emu(vendor, '/_emu/config?created_at_bounds=' || mode) IS NOT NULL AS set,
       mode,
       same(format($$SELECT id FROM zendesk_audit WHERE created_at >= %L AND created_at <= %L$$,
                   (SELECT min(created_at) FROM burst), (SELECT max(created_at) FROM burst))) AS closed,
       same(format($$SELECT id FROM zendesk_audit WHERE created_at > %L AND created_at < %L$$,
                   (SELECT min(created_at) FROM burst), (SELECT max(created_at) FROM burst))) AS open,
       same(format($$SELECT id FROM zendesk_audit WHERE created_at = %L$$,
                   (SELECT min(created_at) FROM burst))) AS equal
  FROM (VALUES ('zendesk', 'inclusive'), ('zendesk', 'exclusive'), ('zendesk', 'half_open')) v(vendor, mode);
SELECT emu('zendesk', '/_emu/config?created_at_bounds=inclusive') IS NOT NULL;
SELECT emu_clear('zendesk');
-- open-ended ranges, date and timestamp constants, BETWEEN
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at > '2026-10-30 12:00:00+00'$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at <= '2026-10-03 00:00:00+00'$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at BETWEEN '2026-10-10' AND '2026-10-11'$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at >= date '2026-10-25'$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at < timestamp '2026-10-04 08:00:00'$$);
SELECT DISTINCT regexp_replace(line, '&page\[after\]=[^&]*', '') FROM emu_log('zendesk') ORDER BY 1;
-- stable expressions are evaluated once at scan start and pushed
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM zendesk_audit WHERE created_at > now() - interval '1 day' AND action = 'update';
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at > now() - interval '30 days'$$, false);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at >= current_date - 40$$, false);
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at >= date_trunc('day', now()) - interval '35 days'$$, false);
SELECT count(*) FROM zendesk_audit WHERE created_at > now();
SELECT count(*) = 3 AS one_request_per_scan,
       bool_and(line ~ 'filter\[created_at\]\[\]=2026-1\d-\d\dT\d\d:\d\d:\d\dZ&filter\[created_at\]\[\]=<now>') AS computed_lower_bounds
  FROM (SELECT line FROM emu_log('zendesk') WHERE line NOT LIKE '%page[after]%') l;
-- the lower bound sent for now() - interval '30 days' is that instant, floored, minus 1 s
SELECT same($$SELECT id FROM zendesk_audit WHERE created_at > now() - interval '30 days'$$, false) AS last_30_days;
SELECT line LIKE '%filter[created_at][]=' ||
         to_char((date_trunc('second', now() - interval '30 days') - interval '1 second') AT TIME ZONE 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '&%' AS lower_bound_is_exact
  FROM emu_log('zendesk') WHERE line NOT LIKE '%page[after]%';
-- parameters (prepared statements) are pushed too
PREPARE by_action(text, timestamptz) AS
  SELECT id FROM zendesk_audit WHERE action = $1 AND created_at >= $2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_action('login', '2026-10-28');
CREATE TEMP TABLE prepared_rows AS EXECUTE by_action('login', '2026-10-28');
SELECT (SELECT count(*) FROM prepared_rows) =
       (SELECT count(*) FROM zd_all WHERE action = 'login' AND created_at >= '2026-10-28') AS prepared_matches;
SELECT emu_now(regexp_replace(line, '&page\[after\]=[^&]*', '')) FROM emu_log('zendesk') LIMIT 1;
-- equality filters: actor, IPv4, action, source type and id go out; an
-- IPv6 address stays local (Zendesk's spelling of it is undocumented)
CREATE TABLE pick AS SELECT
  (SELECT actor_id FROM zd_all WHERE actor_id > 0 ORDER BY id LIMIT 1) AS actor,
  (SELECT ip_address FROM zd_all WHERE family(ip_address) = 4 ORDER BY id LIMIT 1) AS ip4,
  (SELECT ip_address FROM zd_all WHERE family(ip_address) = 6 ORDER BY id LIMIT 1) AS ip6,
  (SELECT source_id FROM zd_all WHERE source_type = 'user' ORDER BY id LIMIT 1) AS user_id;
SELECT emu_clear('zendesk');
SELECT same(format($$SELECT id FROM zendesk_audit WHERE actor_id = %s$$, actor)) FROM pick;
SELECT same(format($$SELECT id FROM zendesk_audit WHERE ip_address = %L$$, ip4)) FROM pick;
SELECT same(format($$SELECT id FROM zendesk_audit WHERE ip_address = %L$$, ip6)) FROM pick;
SELECT same($$SELECT id FROM zendesk_audit WHERE action = 'exported'$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE action IN ('create', 'destroy')$$);
SELECT same($$SELECT id FROM zendesk_audit WHERE source_type = 'user'$$);
SELECT same(format($$SELECT id FROM zendesk_audit WHERE source_type = 'user' AND source_id = %s$$, user_id)) FROM pick;
SELECT count(*) AS requests,
       count(*) FILTER (WHERE line ~ 'filter\[actor_id\]=\d+&') AS actor,
       count(*) FILTER (WHERE line ~ 'filter\[ip_address\]=\d+\.\d+\.\d+\.\d+&') AS ipv4,
       count(*) FILTER (WHERE line ~ 'filter\[ip_address\]=[0-9a-f:]+:[0-9a-f:]*&') AS ipv6,
       count(*) FILTER (WHERE line LIKE '%filter[action]=exported&%') AS action,
       count(*) FILTER (WHERE line LIKE '%filter[action][]=create&filter[action][]=destroy&%') AS action_in,
       count(*) FILTER (WHERE line ~ 'filter\[source_type\]=user&page') AS source_type,
       count(*) FILTER (WHERE line ~ 'filter\[source_type\]=user&filter\[source_id\]=\d+&') AS source_id
  FROM emu_log('zendesk') WHERE line NOT LIKE '%page[after]%';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM zendesk_audit WHERE action IN ('create', 'destroy') AND ip_address = '2001:db8::1' AND actor_id = 7;
-- the same at run time: an IPv6 parameter stays local, an IPv4 one goes out
SELECT emu_clear('zendesk');
SET plan_cache_mode = force_generic_plan;
PREPARE by_ip(inet) AS SELECT count(*) FROM zendesk_audit WHERE ip_address = $1;
SELECT (SELECT count(*) FROM zd_all WHERE ip_address = v.ip) AS expected, v.ip
  FROM (SELECT ip_address FROM zd_all WHERE family(ip_address) = 6 ORDER BY id LIMIT 1) v(ip) \gset
EXECUTE by_ip(:'ip');
SELECT :expected AS expected;
SELECT (SELECT count(*) FROM zd_all WHERE ip_address = v.ip) AS expected, v.ip
  FROM (SELECT ip_address FROM zd_all WHERE family(ip_address) = 4 ORDER BY id LIMIT 1) v(ip) \gset
EXECUTE by_ip(:'ip');
SELECT :expected AS expected;
DEALLOCATE by_ip;
RESET plan_cache_mode;
SELECT count(*) FILTER (WHERE line LIKE '%filter[ip_address]=%:%') AS v6_sent,
       count(*) FILTER (WHERE line ~ 'filter\[ip_address\]=\d+\.\d+\.\d+\.\d+&') AS v4_sent
  FROM emu_log('zendesk');
-- what stays local: source_id without source_type, IN on columns the
-- vendor filters by one value, patterns, functions of columns
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM zendesk_audit WHERE source_id = 5 AND actor_id IN (1, 2) AND actor_name LIKE 'J%'
    AND lower(action) = 'update' AND ip_address << '10.0.0.0/8';
SELECT same($$SELECT id FROM zendesk_audit WHERE actor_id IN (SELECT actor_id FROM zd_all ORDER BY id LIMIT 2) AND actor_name IS NOT NULL$$);
-- contradictions and NULLs need no request at all
SELECT emu_clear('zendesk');
SELECT count(*) FROM zendesk_audit WHERE action = 'create' AND action = 'update';
SELECT count(*) FROM zendesk_audit WHERE action = NULL;
SELECT count(*) FROM zendesk_audit WHERE created_at > '2026-10-10' AND created_at < '2026-10-09';
SELECT count(*) FROM zendesk_audit WHERE action IN ('create', 'login') AND action = 'update';
SELECT count(*) AS requests FROM emu_log('zendesk');
-- combined filters
SELECT same($$SELECT id, action, created_at FROM zendesk_audit
              WHERE action IN ('update', 'login') AND created_at >= '2026-10-15' AND created_at < '2026-10-25'$$);
DEALLOCATE by_action;
ALTER FOREIGN TABLE zendesk_audit OPTIONS (DROP concurrency);
