-- Tables for trk-upload --clickhouse 'trk.{type}': one per record kind.
--
-- Load:  clickhouse-client --multiquery < contrib/clickhouse/schema.sql
--    or  curl 'http://localhost:8123/' --data-binary @schema.sql   (one statement per request on 18.16: use the client)
--
-- Written for ClickHouse 18.16 (Debian bookworm's clickhouse-server) and
-- later: no LowCardinality, no Map or JSON types, no TTL clauses (see the end).
--
-- Every row carries the three fields trk-upload adds: sensor, batch
-- (STREAM/SEQ, unique per batch a sensor ever sends) and n (the line's
-- number in its batch). A batch may be inserted twice (its answer was lost,
-- or another of its tables failed and the whole batch was sent again);
-- ReplacingMergeTree ordered by (sensor, batch, n) folds such copies into
-- one, but only when parts merge, at an unknown later time. So count with
-- FINAL (SELECT … FROM trk.pkt FINAL …) or GROUP BY sensor, batch, n for
-- exact numbers: contrib/clickhouse/queries.sql does.
--
-- Times: ts, start and end are seconds since the epoch as trk writes them
-- (Float64, microseconds kept); `time` is the whole second as a DateTime for
-- queries. Partitions are days (UTC unless the server has another timezone).
-- Columns absent from a record get their type's default (0, '', []):
-- trk-upload asks ClickHouse to skip record fields that have no column
-- (input_format_skip_unknown_fields=1), e.g. a pkt's arp and nd objects.

CREATE DATABASE IF NOT EXISTS trk;

-- trk-capture's pkt records, with trk-classify's fields (man trk.7).
CREATE TABLE IF NOT EXISTS trk.pkt
(
    sensor String,
    batch String,
    n UInt32,
    ts Float64,
    time DateTime MATERIALIZED toDateTime(toUInt32(ts)),
    `if` String,
    len UInt32,
    caplen UInt32,
    smac String,
    dmac String,
    vlan Array(UInt16),         -- outer tag first; trk-upload turns a single tag (10) into [10]
    eth String,
    src String,
    dst String,
    proto String,               -- "tcp", "udp", … or the number as text ("47") for a protocol without a name
    ttl UInt8,
    frag UInt8,
    sport UInt16,
    dport UInt16,
    flags String,
    win UInt32,
    seq UInt32,
    ack UInt32,
    itype UInt8,
    icode UInt8,
    err String,
    dir String,
    svc String,
    local String,
    alerts Array(String)
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(toUInt32(ts)))
ORDER BY (sensor, batch, n);

-- trk-tally's tally records: one per row of each table of each interval.
CREATE TABLE IF NOT EXISTS trk.tally
(
    sensor String,
    batch String,
    n UInt32,
    start Float64,
    `end` Float64,
    time DateTime MATERIALIZED toDateTime(toUInt32(start)),
    partial UInt8,
    by String,
    key String,                 -- '' in the totals row, 'other' in the other row
    name String,
    other UInt8,
    evicted UInt64,
    total UInt8,
    keys UInt64,
    err Float64,
    proto String,
    a String,
    a_port UInt16,
    b String,
    b_port UInt16,
    pkts UInt64,
    bytes UInt64,
    rx_pkts UInt64,
    rx_bytes UInt64,
    tx_pkts UInt64,
    tx_bytes UInt64,
    tcp_pkts UInt64,
    tcp_bytes UInt64,
    udp_pkts UInt64,
    udp_bytes UInt64,
    other_pkts UInt64,
    other_bytes UInt64,
    in_bytes UInt64,
    out_bytes UInt64,
    internal_bytes UInt64,
    transit_bytes UInt64,
    martian_bytes UInt64,
    bps Float64,
    pps Float64,
    a_pkts UInt64,
    a_bytes UInt64,
    b_pkts UInt64,
    b_bytes UInt64,
    a_win UInt32,
    b_win UInt32,
    state String,
    avg_size Float64,
    idle Float64,
    conn_bps Float64,
    percentile Float64,
    pct_bps Float64,
    pct_rx_bps Float64,
    pct_tx_bps Float64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(toUInt32(start)))
ORDER BY (sensor, batch, n);

-- ALERT lines and alert records, in one shape: trk-upload converts
-- `DATE TIME ALERT TYPE KIND k=v,…` to {ts, family, kind, the details as
-- fields, details}; an alert record gets details added. `details` is the
-- ALERT line's last field (k=v,k=v) whatever the kind, so any key can be
-- queried: extract(details, 'kBps=([^,]*)'). The common keys also have columns.
CREATE TABLE IF NOT EXISTS trk.alert
(
    sensor String,
    batch String,
    n UInt32,
    ts Float64,
    time DateTime MATERIALIZED toDateTime(toUInt32(ts)),
    family String,              -- ARP, ICMPv6, HOST, TCP, NET, BANDWIDTH
    kind String,                -- wrongnet, mac_changed, hammered, exceeded, …
    details String,
    msg String,                 -- the -H sentence (records only; '' from ALERT lines)
    smac String,
    dmac String,
    sip String,
    dip String,
    arp_sip String,
    arp_dip String,
    target String,
    prefix String,
    addr String,
    net String,
    src String,
    dst String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(toUInt32(ts)))
ORDER BY (sensor, batch, n);

-- STAT lines and stat records: counters since the previous STAT of the
-- same sensor. A STAT line has no start: NULL there.
CREATE TABLE IF NOT EXISTS trk.stat
(
    sensor String,
    batch String,
    n UInt32,
    ts Float64,
    time DateTime MATERIALIZED toDateTime(toUInt32(ts)),
    start Nullable(Float64),
    `end` Float64,
    arp UInt64,
    arp_wrongnet UInt64,
    arp_mac_changed UInt64,
    arp_gratuitous UInt64,
    icmp6 UInt64,
    icmp6_ns_wrongnet UInt64,
    icmp6_na_wrongnet UInt64,
    icmp6_ra_wrongnet UInt64,
    arp_flipflop UInt64,
    arp_new_station UInt64,
    arp_bogon UInt64,
    arp_bad_mac UInt64,
    icmp6_dad UInt64,
    pkts UInt64,
    `in` UInt64,
    out UInt64,
    internal UInt64,
    transit UInt64,
    martian UInt64,
    allowed UInt64,
    stations_evicted UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(toUInt32(ts)))
ORDER BY (sensor, batch, n);

-- trk-threshold's report records (ipband's subnet report). conns is the
-- record's list of connections as JSON text:
-- visitParamExtractString(conns, 'a') gives the first connection's a.
CREATE TABLE IF NOT EXISTS trk.report
(
    sensor String,
    batch String,
    n UInt32,
    ts Float64,
    time DateTime MATERIALIZED toDateTime(toUInt32(ts)),
    net String,
    address String,
    name String,
    threshold Float64,
    kBps Float64,
    exceeded Float64,
    since Float64,
    accumulated Float64,
    watch_start Float64,
    accumulated_pct Float64,
    top UInt32,
    total_conns UInt64,
    total_bytes UInt64,
    dropped_conns UInt64,
    dropped_bytes UInt64,
    conns String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(toUInt32(ts)))
ORDER BY (sensor, batch, n);

-- Keeping pkt rows for a month only: ClickHouse 18.16 has no TTL clause;
-- drop old days by partition from cron instead, e.g.
--   ALTER TABLE trk.pkt DROP PARTITION '2026-10-24'
-- (ClickHouse 19.6 and later: add  TTL time + INTERVAL 30 DAY  after ORDER BY.)
