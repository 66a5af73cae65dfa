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
-- emu(vendor, path): the emulator's answer, one row per line
CREATE FUNCTION emu(vendor text, path text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  p int;
BEGIN
  SELECT e.port INTO STRICT p FROM emu_port e WHERE e.vendor = emu.vendor;
  DELETE FROM emu_out;
  EXECUTE format('COPY emu_out (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E''\x01'', QUOTE E''\x02'')',
                 format('curl -sS --noproxy ''*'' %s', quote_literal(format('http://127.0.0.1:%s%s', p, path))));
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
-- emu_log(vendor): the API requests since the last call, and clear them
CREATE FUNCTION emu_log(vendor text) RETURNS SETOF text
LANGUAGE sql AS $$ SELECT * FROM emu(vendor, '/_emu/log?clear=1') $$;
SELECT emu('zendesk', '/_emu/health');
