-- Zendesk: full scans, content, column mapping, joins, materialized views
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
CREATE SERVER zendesk FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zendesk
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER zendesk INTO public;
\d zendesk_audit
SELECT count(*), count(DISTINCT id), min(created_at), max(created_at) FROM zendesk_audit;
SELECT * FROM emu_log('zendesk') LIMIT 3;
SELECT id, created_at, actor_id, actor_name, ip_address, action, action_label, source_type
  FROM zendesk_audit ORDER BY id LIMIT 5;
