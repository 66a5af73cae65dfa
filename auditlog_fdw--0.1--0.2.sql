/* auditlog_fdw--0.1--0.2.sql: version, scan log, column map, sync, unified view */
\echo Use "ALTER EXTENSION auditlog_fdw UPDATE TO '0.2'" to load this file. \quit

-- the functions and views below are for every user; sync_log is readable
-- by all and writable by the roles the owner grants INSERT to
GRANT USAGE ON SCHEMA auditlog_fdw TO PUBLIC;

-- the version of the loaded library (the installed SQL objects may be older)
CREATE FUNCTION auditlog_fdw_version() RETURNS text
AS 'MODULE_PATHNAME', 'auditlog_fdw_version'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

-- how a foreign table's columns map to its vendor's catalogue
CREATE FUNCTION column_map(source regclass,
  OUT vendor text, OUT attnum smallint, OUT attname name, OUT vendor_column text,
  OUT is_time boolean, OUT is_id boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'auditlog_fdw_column_map'
LANGUAGE C STRICT STABLE;

-- the scans this backend ran (the last 1000), oldest first
CREATE FUNCTION scan_log_records(
  OUT id bigint, OUT started_at timestamptz, OUT ended_at timestamptz, OUT server text,
  OUT foreign_table text, OUT time_window tstzrange, OUT pushed_filters text,
  OUT requests bigint, OUT retries bigint, OUT pages bigint, OUT vendor_records bigint,
  OUT rows bigint, OUT status text, OUT sqlstate text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'auditlog_fdw_scan_log'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW scan_log AS SELECT * FROM scan_log_records();
GRANT SELECT ON scan_log TO PUBLIC;

-- one row per sync() call that copied a window: the evidence of what was read
CREATE TABLE sync_log (
  id bigserial PRIMARY KEY,
  target text NOT NULL,              -- schema-qualified, quoted as needed
  source text NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  time_window tstzrange NOT NULL,    -- read completely: [start, end)
  rows_read bigint NOT NULL,
  rows_added bigint NOT NULL,
  scans jsonb NOT NULL               -- the scan_log rows of the scans it ran
);
CREATE INDEX ON sync_log (target, id);
GRANT SELECT ON sync_log TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('sync_log', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log_id_seq', '');

-- a table name as sync() stores it: the existing table's, else one in
-- current_schema() (or the schema given)
CREATE FUNCTION target_name(target text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  parts text[] := parse_ident(target);
  found text;
BEGIN
  SELECT format('%I.%I', n.nspname, c.relname) INTO found
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = pg_catalog.to_regclass(target);
  IF found IS NOT NULL THEN
    RETURN found;
  ELSIF cardinality(parts) = 1 THEN
    IF current_schema() IS NULL THEN
      RAISE EXCEPTION 'no schema has been selected to create "%" in', target
        USING ERRCODE = '3F000', HINT = 'Qualify the target name with a schema.';
    END IF;
    RETURN format('%I.%I', current_schema(), parts[1]);
  ELSIF cardinality(parts) = 2 THEN
    RETURN format('%I.%I', parts[1], parts[2]);
  END IF;
  RAISE EXCEPTION 'improper table name "%"', target
    USING ERRCODE = '42602', HINT = 'Give a table name, optionally schema-qualified.';
END $$;

-- sync(source, target, ...): copy the rows of foreign table source that
-- target lacks, one window of at most max_window per call; see README
CREATE FUNCTION sync(source regclass, target text,
                     overlap interval DEFAULT '10 minutes',
                     settle interval DEFAULT '5 minutes',
                     max_window interval DEFAULT '7 days',
                     since timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  tcol name;
  idcol name;
  cols text;
  src_key text;
  tgt_key text;
  tname text;
  lo timestamptz;
  hi timestamptz;
  hwm timestamptz;
  first_scan bigint;
  nread bigint;
  nadded bigint;
  scans jsonb;
  bad text;
BEGIN
  IF overlap IS NULL OR settle IS NULL OR max_window IS NULL OR
     overlap < interval '0' OR settle < interval '0' OR max_window <= overlap THEN
    RAISE EXCEPTION 'invalid sync intervals'
      USING ERRCODE = '22023',
            DETAIL = format('overlap %s, settle %s, max_window %s.', overlap, settle, max_window),
            HINT = 'overlap and settle must not be negative, and max_window must be longer than overlap.';
  END IF;
  SELECT m.attname INTO tcol FROM auditlog_fdw.column_map(source) m WHERE m.is_time;
  IF tcol IS NULL THEN
    RAISE EXCEPTION 'foreign table % has no column for its vendor''s event time', source
      USING ERRCODE = 'HV005', HINT = 'sync() needs the time column to know what it already holds.';
  END IF;
  SELECT m.attname INTO idcol FROM auditlog_fdw.column_map(source) m WHERE m.is_id;
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
         string_agg('s.' || quote_ident(a.attname), ', ' ORDER BY a.attnum),
         string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
    INTO cols, src_key, tgt_key
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
  -- rows with an id are told apart by it; others are counted as a multiset
  src_key := CASE WHEN idcol IS NULL THEN format('jsonb_build_array(''row'', %s)', src_key)
                  ELSE format('CASE WHEN s.%1$I IS NOT NULL THEN jsonb_build_array(''id'', s.%1$I) ELSE jsonb_build_array(''row'', %2$s) END',
                              idcol, src_key) END;
  tgt_key := CASE WHEN idcol IS NULL THEN format('jsonb_build_array(''row'', %s)', tgt_key)
                  ELSE format('CASE WHEN t.%1$I IS NOT NULL THEN jsonb_build_array(''id'', t.%1$I) ELSE jsonb_build_array(''row'', %2$s) END',
                              idcol, tgt_key) END;

  -- one sync per target at a time
  tname := auditlog_fdw.target_name(target);
  PERFORM pg_catalog.pg_advisory_xact_lock(hashtext('auditlog_fdw.sync'), hashtext(tname));
  IF pg_catalog.to_regclass(tname) IS NULL THEN
    -- a sync we waited for may have just created it (the name lookup above
    -- may not see that yet; CREATE TABLE does)
    BEGIN
      EXECUTE format('CREATE TABLE %s (%s)', tname,
                     (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
                                        ', ' ORDER BY a.attnum)
                        FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped));
      EXECUTE format('CREATE INDEX ON %s (%I)', tname, tcol);
      IF idcol IS NOT NULL THEN
        EXECUTE format('CREATE INDEX ON %s (%I)', tname, idcol);
      END IF;
    EXCEPTION WHEN duplicate_table THEN
      NULL;
    END;
  END IF;

  -- high-water mark: the end of the last window read completely, else the
  -- newest row already held; the window starts overlap before it
  SELECT max(upper(l.time_window)) INTO hwm FROM auditlog_fdw.sync_log l WHERE l.target = tname;
  IF hwm IS NULL THEN
    EXECUTE format('SELECT max(%I) FROM %s', tcol, tname) INTO hwm;
  END IF;
  lo := CASE WHEN hwm IS NOT NULL THEN hwm - overlap
             ELSE coalesce(since, now() - interval '30 days') END;
  hi := least(lo + max_window, now() - settle);
  IF lo >= hi THEN
    RETURN 0;
  END IF;

  SELECT coalesce(max(l.id), 0) INTO first_scan FROM auditlog_fdw.scan_log l;
  EXECUTE format('CREATE TEMP TABLE alf_sync_rows ON COMMIT DROP AS SELECT %s FROM %s WHERE %I >= %L::timestamptz AND %I < %L::timestamptz',
                 cols, source, tcol, lo, tcol, hi);
  GET DIAGNOSTICS nread = ROW_COUNT;
  EXECUTE format($q$
    INSERT INTO %1$s (%2$s)
    SELECT %2$s
      FROM (SELECT s.*, %3$s AS alf_key, row_number() OVER (PARTITION BY %3$s) AS alf_copy
              FROM alf_sync_rows s) n
      LEFT JOIN (SELECT %4$s AS alf_key, count(*) AS alf_have
                   FROM %1$s t WHERE t.%5$I >= %6$L::timestamptz AND t.%5$I < %7$L::timestamptz
                  GROUP BY 1) h USING (alf_key)
     WHERE n.alf_copy > coalesce(h.alf_have, 0)$q$,
    tname, cols, src_key, tgt_key, tcol, lo, hi);
  GET DIAGNOSTICS nadded = ROW_COUNT;
  DROP TABLE alf_sync_rows;

  SELECT jsonb_agg(to_jsonb(l) ORDER BY l.id), string_agg(l.status, ', ') FILTER (WHERE l.status <> 'complete')
    INTO scans, bad
    FROM auditlog_fdw.scan_log l WHERE l.id > first_scan;
  IF scans IS NULL OR bad IS NOT NULL THEN
    RAISE EXCEPTION 'sync of % did not read the window completely', tname
      USING ERRCODE = 'HV000', DETAIL = format('Scans ended: %s.', coalesce(bad, 'none ran'));
  END IF;
  INSERT INTO auditlog_fdw.sync_log (target, source, time_window, rows_read, rows_added, scans)
  VALUES (tname, (SELECT format('%I.%I', n.nspname, c.relname)
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.oid = source),
          tstzrange(lo, hi, '[)'), nread, nadded, scans);
  RETURN nadded;
END $$;

-- sync_all(source, target, ...): sync() window after window, committing
-- each, until the target has caught up with now() - settle
CREATE PROCEDURE sync_all(source regclass, target text,
                          overlap interval DEFAULT '10 minutes',
                          settle interval DEFAULT '5 minutes',
                          max_window interval DEFAULT '7 days',
                          since timestamptz DEFAULT NULL,
                          INOUT rows_added bigint DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  last_id bigint;
  w tstzrange;
  cutoff timestamptz;
BEGIN
  rows_added := 0;
  LOOP
    cutoff := now() - settle;     -- what sync() reads up to in this transaction
    SELECT max(l.id) INTO last_id FROM auditlog_fdw.sync_log l;
    rows_added := rows_added + auditlog_fdw.sync(source, target, overlap, settle, max_window, since);
    SELECT l.time_window INTO w FROM auditlog_fdw.sync_log l
     WHERE l.id > coalesce(last_id, 0) ORDER BY l.id DESC LIMIT 1;
    COMMIT;
    -- done when nothing was left, or the window reached the settle cutoff
    EXIT WHEN w IS NULL OR upper(w) >= cutoff;
  END LOOP;
END $$;

-- sync_gaps(target): the time never read completely since the first sync
-- of target, and the part not synced yet (up to now)
CREATE FUNCTION sync_gaps(target text,
  OUT gap_start timestamptz, OUT gap_end timestamptz, OUT kind text)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
  WITH w AS (
    SELECT range_agg(l.time_window) AS covered, min(lower(l.time_window)) AS first,
           max(upper(l.time_window)) AS last
      FROM auditlog_fdw.sync_log l WHERE l.target = auditlog_fdw.target_name(sync_gaps.target))
  SELECT lower(g), upper(g), CASE WHEN upper(g) > w.last THEN 'not synced yet' ELSE 'never read' END
    FROM w, unnest(tstzmultirange(tstzrange(w.first, greatest(now(), w.last), '[)')) - w.covered) g
   WHERE w.first IS NOT NULL
   ORDER BY 1
$$;

-- create_unified_view(view_name, tables): one view over the vendor tables,
-- (occurred_at, vendor, actor, ip, action, category, target, detail, raw).
-- Each branch maps plain columns (a cast only where the type differs), so
-- conditions on occurred_at and action still reach each vendor.
CREATE FUNCTION create_unified_view(view_name text DEFAULT 'audit_events',
                                    tables regclass[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  -- which vendor column fills each unified column
  map constant jsonb := '{
    "zendesk":   {"actor": "actor_name", "ip": "ip_address", "action": "action",
                  "category": "source_type", "target": "source_label", "detail": "change_description"},
    "zscaler":   {"actor": "admin_name", "ip": "client_ip", "action": "action",
                  "category": "category", "target": "resource", "detail": "subcategory"},
    "koreai":    {"action": "name", "category": "category", "detail": "description"},
    "zoho_mail": {"actor": "performed_by", "ip": "client_ip", "action": "operation",
                  "category": "category", "target": "performed_on", "detail": "sub_category"},
    "resolver":  {"actor": "performed_by", "ip": "ip_address", "action": "event",
                  "category": "subject_type", "target": "subject", "detail": "details"}}';
  outs constant text[] := ARRAY['occurred_at', 'vendor', 'actor', 'ip', 'action', 'category',
                                'target', 'detail', 'raw'];
  types constant text[] := ARRAY['timestamptz', 'text', 'text', 'inet', 'text', 'text',
                                 'text', 'text', 'jsonb'];
  vname text := auditlog_fdw.target_name(view_name);
  rel regclass;
  vend text;
  branch text;
  branches text[] := '{}';
  expr text;
  col record;
  i int;
BEGIN
  FOR rel IN
    SELECT c.oid::regclass
      FROM pg_catalog.pg_foreign_table ft
      JOIN pg_catalog.pg_class c ON c.oid = ft.ftrelid
      JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE w.fdwhandler = 'auditlog_fdw.auditlog_fdw_handler'::regproc
       AND (tables IS NULL OR c.oid = ANY (tables))
     ORDER BY c.oid
  LOOP
    SELECT m.vendor INTO vend FROM auditlog_fdw.column_map(rel) m LIMIT 1;
    branch := '';
    FOR i IN 1 .. array_length(outs, 1) LOOP
      IF outs[i] = 'vendor' THEN
        expr := quote_literal(vend) || '::text';
      ELSE
        SELECT m.attname, format_type(a.atttypid, a.atttypmod) AS type INTO col
          FROM auditlog_fdw.column_map(rel) m
          JOIN pg_catalog.pg_attribute a ON a.attrelid = rel AND a.attnum = m.attnum
         WHERE CASE outs[i] WHEN 'occurred_at' THEN m.is_time
                            WHEN 'raw' THEN m.vendor_column = 'raw'
                            ELSE m.vendor_column = map -> vend ->> outs[i] END
         ORDER BY m.attnum LIMIT 1;
        IF NOT FOUND THEN
          expr := 'NULL::' || types[i];
        ELSIF col.type = format_type(types[i]::regtype, NULL) THEN
          expr := quote_ident(col.attname);
        ELSE
          expr := format('%I::%s', col.attname, types[i]);
        END IF;
      END IF;
      branch := branch || CASE WHEN i > 1 THEN ', ' ELSE '' END || expr || ' AS ' || outs[i];
    END LOOP;
    branches := branches || format('SELECT %s FROM %s', branch, rel);
  END LOOP;
  IF cardinality(branches) = 0 THEN
    RAISE EXCEPTION 'no auditlog_fdw foreign table to build view % from', vname
      USING ERRCODE = '42P01', HINT = 'Import the vendor tables first (IMPORT FOREIGN SCHEMA audit).';
  END IF;
  EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', vname, array_to_string(branches, E'\nUNION ALL\n'));
  RETURN vname;
END $$;

-- How a scan reads a vendor's time text (zone: the report_time_zone for
-- times that carry none; epoch_ms: a field documented as milliseconds).
-- A diagnostic; STABLE because zone abbreviations follow the session's
-- timezone_abbreviations.
CREATE FUNCTION read_vendor_time(value text, zone text DEFAULT 'UTC',
                                 epoch_ms boolean DEFAULT false)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'alf_read_vendor_time'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
