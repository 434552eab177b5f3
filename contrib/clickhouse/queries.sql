-- Queries over the tables of schema.sql (trk-upload --clickhouse 'trk.{type}').
--
-- Run one:  clickhouse-client --multiquery < queries.sql   (all of them), or
--           paste one into clickhouse-client.
--
-- Exact counts: a batch may have been inserted more than once (at-least-once
-- delivery); FINAL folds the copies by (sensor, batch, n) at query time, so
-- every query here reads FROM … FINAL. (Without FINAL, sums may count a
-- re-sent batch twice until ClickHouse merges the parts.)
--
-- Each query is named by a "-- name:" line (the tests run them by name);
-- now() is the server's clock: to look at an old capture, put its time in
-- place of now(), e.g. toDateTime('2026-11-22 09:45:00').

-- name: top-talkers-tally
-- Top talkers over the last hour: bytes sent and received per host, from
-- trk-tally --by host records (the other and totals rows left out).
SELECT key AS host, sum(bytes) AS bytes, sum(rx_bytes) AS rx, sum(tx_bytes) AS tx, groupUniqArray(sensor) AS sensors
FROM trk.tally FINAL
WHERE by = 'host' AND other = 0 AND total = 0 AND time >= now() - 3600
GROUP BY host
ORDER BY bytes DESC, host
LIMIT 10;

-- name: top-talkers-pkt
-- The same from pkt records (every packet counted once for its source and
-- once for its destination), over the last day, per sensor.
SELECT sensor, host, sum(len) AS bytes, count() AS pkts
FROM trk.pkt FINAL
ARRAY JOIN [src, dst] AS host
WHERE host != '' AND time >= now() - 86400
GROUP BY sensor, host
ORDER BY bytes DESC, host
LIMIT 10;

-- name: alerts-per-sensor-hour
-- Alerts per sensor per hour over the last day.
SELECT sensor, toStartOfHour(time) AS hour, count() AS alerts
FROM trk.alert FINAL
WHERE time >= now() - 86400
GROUP BY sensor, hour
ORDER BY sensor, hour;

-- name: alert-kinds
-- Which alerts, how many, on how many sensors, over the last day.
SELECT family, kind, count() AS alerts, uniqExact(sensor) AS sensors, max(time) AS last
FROM trk.alert FINAL
WHERE time >= now() - 86400
GROUP BY family, kind
ORDER BY alerts DESC, family, kind;

-- name: last-stat
-- Each sensor's last STAT: when, and its counters.
SELECT sensor, max(time) AS last, argMax(pkts, ts) AS pkts, argMax(arp, ts) AS arp,
       argMax(arp_wrongnet, ts) AS arp_wrongnet, argMax(icmp6, ts) AS icmp6, argMax(martian, ts) AS martian
FROM trk.stat FINAL
GROUP BY sensor
ORDER BY sensor;
