/**
 * trk-mail's digests: which events are mailed (--only, --ignore), which go
 * together (a window of --every seconds, identical alerts collapsed into
 * one entry), and when (at most --max-per-hour mails in any sliding hour).
 *
 * Pure: the caller gives the clock, in seconds of wall time at arrival —
 * not the alert's own time, since the windows and the cap are about the
 * operator's inbox, and a replayed capture's alerts all carry old times.
 *
 * Accounting is exact: every selected event ends up in exactly one plan
 * handed out by due() or flush(), or in `held` (what the cap still holds at
 * exit, one digest the command spools for a later run). A report counts as
 * one alert. A plan handed out counts against the cap at once: due() and
 * flush() are the only places mails leave, so there is nothing to confirm.
 *
 * Memory is bounded by maxEntries per window (and for the held digest):
 * past it, an alert that would need a new entry is only counted, in an
 * "unlisted" tally of its family and kind, itself bounded.
 */
import { cFixed, reportSentence } from '../threshold/report.js';
import type { BandwidthReport } from '../threshold/types.js';
import type { AlertEvent, AlertGroupEntry, MailEvent, MailPlan } from './types.js';

export interface DigestOptions {
  /** Window seconds; 0 = a mail per alert, still collapsed within the same second and capped. */
  every: number;
  /** Cap on mails in any sliding hour; undefined = no cap. */
  maxPerHour: number | undefined;
  /** 'TYPE' or 'TYPE:KIND', case-insensitive: the allow list (empty = all), then the deny list. */
  only: string[];
  ignore: string[];
  /** Distinct entries kept per digest; further distinct alerts are only counted. */
  maxEntries: number;
}

export type DigestPlan = Extract<MailPlan, { type: 'digest' }>;

export interface DigestStats {
  /** Events given to add(). */
  events: number;
  /** Of those, the ones --only/--ignore let through: alerts and reports. */
  selected: number;
  /** Alerts that became the count of an entry already in their window rather than one of their own. */
  collapsed: number;
  /** Mails (windows and reports) the cap has held back and merged into the held digest, all told. */
  held: number;
}

/** The sliding period of the cap. */
const CAP_PERIOD = 3600;

/** The detail keys a held report becomes an entry with. */
function reportEntryDetails(r: BandwidthReport): [string, string][] {
  return [
    ['net', r.net],
    ['kBps', cFixed(r.kBps, 2)],
    ['exceeded', String(r.exceeded)],
  ];
}

export class Digester {
  private readonly o: DigestOptions;
  private readonly selector: Selector;
  /** The window collecting alerts now, and when it closes (arrival clock). */
  private window: Collection | undefined;
  private windowDue = 0;
  /** Closed windows and reports waiting for the cap, oldest first, with when each became ready. */
  private readonly ready: { plan: Pending; at: number }[] = [];
  /** What the cap has held back, merged; it goes before anything else. */
  private heldBack: { collection: Collection; mails: number; at: number } | undefined;
  /** When the last maxPerHour mails left (at most that many kept). */
  private readonly sentAt: number[] = [];
  private readonly counts: DigestStats = { events: 0, selected: 0, collapsed: 0, held: 0 };

  constructor(o: DigestOptions) {
    this.o = o;
    this.selector = new Selector(o.only, o.ignore);
  }

  get stats(): Readonly<DigestStats> {
    return this.counts;
  }

  add(e: MailEvent, now: number): void {
    this.counts.events++;
    const [family, kind] = e.type === 'alert' ? [e.family, e.kind] : ['BANDWIDTH', 'report'];
    if (!this.selector.selects(family, kind)) return;
    this.counts.selected++;
    // A window past its time takes no more, even if due() has not been called yet.
    this.closeWindowIfDue(now);
    if (e.type === 'report') {
      this.enqueue({ type: 'report', report: e.report }, now, now);
      return;
    }
    if (this.window === undefined) {
      this.window = new Collection(this.o.maxEntries);
      // every = 0: the window is the rest of this second, so a burst still makes one mail.
      this.windowDue = this.o.every > 0 ? now + this.o.every : Math.floor(now) + 1;
    }
    if (this.window.addAlert(e)) this.counts.collapsed++;
  }

  /** The plans to send now: windows that have run their time, reports, the held digest — as far as the cap allows. */
  due(now: number): MailPlan[] {
    this.closeWindowIfDue(now);
    return this.release(now);
  }

  /** When due() will next have something to hand out; undefined when nothing is pending (or the cap is 0). */
  nextDue(): number | undefined {
    const capOpens = this.capOpensAt();
    let earliest = Infinity;
    if (this.window !== undefined) earliest = this.windowDue;
    if (this.heldBack !== undefined) earliest = Math.min(earliest, this.heldBack.at);
    for (const r of this.ready) earliest = Math.min(earliest, r.at);
    const next = Math.max(earliest, capOpens);
    return Number.isFinite(next) ? next : undefined;
  }

  /** At EOF or a signal: the window closed early, and everything the cap allows now; the rest is left in `held`. */
  flush(now: number): MailPlan[] {
    if (this.window !== undefined) this.closeWindow(now, now);
    return this.release(now);
  }

  /**
   * What the cap holds back, as the one digest it would go as (heldMails and
   * heldAlerts say how many mails it stands for and their alerts);
   * undefined when nothing is held. After flush(), this is what the command
   * spools for a later run. It stays here until due() hands it out.
   */
  get held(): DigestPlan | undefined {
    if (this.heldBack === undefined) return undefined;
    return this.heldBack.collection.plan(this.heldBack.mails, this.heldBack.collection.alerts);
  }

  private closeWindowIfDue(now: number): void {
    if (this.window !== undefined && now >= this.windowDue) this.closeWindow(this.windowDue, now);
  }

  private closeWindow(at: number, now: number): void {
    const collection = this.window!;
    this.window = undefined;
    this.enqueue({ type: 'window', collection }, at, now);
  }

  /**
   * A plan ready since `at`. When the cap could not let it go now, it is
   * held at once rather than queued: a flood while the cap is shut then
   * costs one merged digest, not a window's worth of entries every few
   * seconds for the rest of the hour.
   */
  private enqueue(plan: Pending, at: number, now: number): void {
    if (this.ready.length >= this.slotsFree(now)) this.hold(plan, at);
    else this.ready.push({ plan, at });
  }

  /** Hand out what the cap allows, oldest first (the held digest before all); merge the rest into the held digest. */
  private release(now: number): MailPlan[] {
    const out: MailPlan[] = [];
    if (this.heldBack !== undefined && this.capAllows(now)) {
      const { collection, mails } = this.heldBack;
      this.heldBack = undefined;
      out.push(this.send(collection.plan(mails, collection.alerts), now));
    }
    for (const { plan, at } of this.ready.splice(0)) {
      if (this.heldBack === undefined && this.capAllows(now)) {
        out.push(this.send(planOf(plan), now));
      } else {
        this.hold(plan, at);
      }
    }
    return out;
  }

  private hold(plan: Pending, at: number): void {
    this.counts.held++;
    if (this.heldBack === undefined) {
      this.heldBack = { collection: new Collection(this.o.maxEntries), mails: 0, at };
    }
    this.heldBack.mails++;
    const into = this.heldBack.collection;
    if (plan.type === 'window') {
      into.addCollection(plan.collection);
    } else {
      const r = plan.report;
      into.addEntry({ family: 'BANDWIDTH', kind: 'report', details: reportEntryDetails(r), sentence: reportSentence(r), count: 1, first: r.ts, last: r.ts });
    }
  }

  private send(plan: MailPlan, now: number): MailPlan {
    this.sentAt.push(now);
    const cap = this.o.maxPerHour;
    if (cap !== undefined && this.sentAt.length > cap) this.sentAt.splice(0, this.sentAt.length - cap);
    return plan;
  }

  private capAllows(now: number): boolean {
    return now >= this.capOpensAt();
  }

  /** Mails that may still leave at `now` before the cap shuts (the held digest, when there is one, takes the first). */
  private slotsFree(now: number): number {
    const cap = this.o.maxPerHour;
    if (cap === undefined) return Infinity;
    let recent = 0;
    for (const t of this.sentAt) if (t > now - CAP_PERIOD) recent++;
    return Math.max(0, cap - recent - (this.heldBack !== undefined ? 1 : 0));
  }

  /** The first time another mail may leave: an hour after the oldest of the last maxPerHour mails. */
  private capOpensAt(): number {
    const cap = this.o.maxPerHour;
    if (cap === undefined) return -Infinity;
    if (cap <= 0) return Infinity;
    if (this.sentAt.length < cap) return -Infinity;
    return this.sentAt[this.sentAt.length - cap]! + CAP_PERIOD;
  }
}

/** A plan before it is handed out: windows stay collections, so a held one merges entry by entry. */
type Pending = { type: 'window'; collection: Collection } | { type: 'report'; report: BandwidthReport };

function planOf(p: Pending): MailPlan {
  if (p.type === 'report') return { type: 'report', report: p.report, heldMails: 0, heldAlerts: 0 };
  return p.collection.plan(0, 0);
}

// ---------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------

/** --only and --ignore: 'TYPE' matches the family, 'TYPE:KIND' the family and kind, case-insensitive. */
class Selector {
  private readonly only: Set<string>;
  private readonly ignore: Set<string>;

  constructor(only: string[], ignore: string[]) {
    this.only = new Set(only.map((s) => s.toLowerCase()));
    this.ignore = new Set(ignore.map((s) => s.toLowerCase()));
  }

  selects(family: string, kind: string): boolean {
    const f = family.toLowerCase();
    const fk = `${f}:${kind.toLowerCase()}`;
    if (this.only.size > 0 && !this.only.has(f) && !this.only.has(fk)) return false;
    return !this.ignore.has(f) && !this.ignore.has(fk);
  }
}

// ---------------------------------------------------------------------------
// One digest's entries
// ---------------------------------------------------------------------------

/** Alerts of a family and kind no longer itemised because the digest was full. */
interface Unlisted {
  count: number;
  first: number;
  last: number;
}

interface Group {
  family: string;
  kind: string;
  entries: AlertGroupEntry[];
  unlisted: Unlisted | undefined;
}

/** The family and kind of the tally that takes unlisted alerts once even their families and kinds are too many to keep apart. */
const ANY = '*';

/**
 * The entries of a window (or of the held digest): identical alerts
 * collapsed, grouped by family then kind in first-seen order, at most
 * maxEntries of them; unlisted tallies for at most maxEntries families and
 * kinds more, then one tally for all the rest.
 */
class Collection {
  /** Family → kind → group, both in first-seen order. */
  private readonly families = new Map<string, Map<string, Group>>();
  private readonly byIdentity = new Map<string, AlertGroupEntry>();
  /** Groups made only for an unlisted tally: bounded like the entries. */
  private unlistedOnlyGroups = 0;
  /** Alerts in it, each collapsed repeat and unlisted one counted. */
  alerts = 0;

  constructor(private readonly maxEntries: number) {}

  /** True when the alert was collapsed into an entry already here. */
  addAlert(e: AlertEvent): boolean {
    const entry: AlertGroupEntry = { family: e.family, kind: e.kind, details: e.details, count: 1, first: e.ts, last: e.ts };
    if (e.sentence !== undefined) entry.sentence = e.sentence;
    return this.addEntry(entry);
  }

  addCollection(other: Collection): void {
    for (const group of other.groups()) {
      for (const entry of group.entries) this.addEntry({ ...entry });
      if (group.unlisted !== undefined) {
        this.alerts += group.unlisted.count;
        this.addUnlisted(group.family, group.kind, group.unlisted);
      }
    }
  }

  /** Count an entry in (an alert, or an entry of another digest); true when it joined one already here. */
  addEntry(entry: AlertGroupEntry): boolean {
    this.alerts += entry.count;
    const id = identity(entry);
    const same = this.byIdentity.get(id);
    if (same !== undefined) {
      same.count += entry.count;
      same.first = Math.min(same.first, entry.first);
      same.last = Math.max(same.last, entry.last);
      return true;
    }
    if (this.byIdentity.size >= this.maxEntries) {
      this.addUnlisted(entry.family, entry.kind, entry);
      return false;
    }
    this.byIdentity.set(id, entry);
    (this.group(entry.family, entry.kind) ?? this.newGroup(entry.family, entry.kind)).entries.push(entry);
    return false;
  }

  /** Tally alerts not itemised under their family and kind while there is room for that many tallies, else under ANY. */
  private addUnlisted(family: string, kind: string, u: Unlisted): void {
    let group = this.group(family, kind);
    if (group === undefined) {
      if (this.unlistedOnlyGroups < this.maxEntries) {
        this.unlistedOnlyGroups++;
        group = this.newGroup(family, kind);
      } else {
        group = this.group(ANY, ANY) ?? this.newGroup(ANY, ANY);
      }
    }
    if (group.unlisted === undefined) {
      group.unlisted = { count: u.count, first: u.first, last: u.last };
      return;
    }
    group.unlisted.count += u.count;
    group.unlisted.first = Math.min(group.unlisted.first, u.first);
    group.unlisted.last = Math.max(group.unlisted.last, u.last);
  }

  private group(family: string, kind: string): Group | undefined {
    return this.families.get(family)?.get(kind);
  }

  private newGroup(family: string, kind: string): Group {
    const group: Group = { family, kind, entries: [], unlisted: undefined };
    let kinds = this.families.get(family);
    if (kinds === undefined) {
      kinds = new Map();
      this.families.set(family, kinds);
    }
    kinds.set(kind, group);
    return group;
  }

  /** Groups by family, then kind, each in first-seen order. */
  private *groups(): Iterable<Group> {
    for (const kinds of this.families.values()) yield* kinds.values();
  }

  /** The digest: entries by family then kind, each group's unlisted tally after its entries, as an entry whose sentence says so. */
  plan(heldMails: number, heldAlerts: number): DigestPlan {
    const entries: AlertGroupEntry[] = [];
    let start = Infinity;
    let end = -Infinity;
    for (const group of this.groups()) {
      for (const entry of group.entries) entries.push({ ...entry, details: entry.details.slice() });
      const u = group.unlisted;
      if (u !== undefined) entries.push(unlistedEntry(group.family, group.kind, u, this.maxEntries));
    }
    for (const entry of entries) {
      start = Math.min(start, entry.first);
      end = Math.max(end, entry.last);
    }
    return { type: 'digest', start, end, entries, alerts: this.alerts, heldMails, heldAlerts };
  }
}

/** The same alert: family, kind and details; and for a -H alert, which has no details, its sentence. */
function identity(e: AlertGroupEntry): string {
  return JSON.stringify([e.family, e.kind, e.details, e.details.length === 0 ? (e.sentence ?? '') : '']);
}

function unlistedEntry(family: string, kind: string, u: Unlisted, maxEntries: number): AlertGroupEntry {
  const what = family === ANY ? 'alerts of other kinds' : `${family} ${kind} alerts`;
  return {
    family,
    kind,
    details: [],
    sentence: `${u.count} more ${what} not listed: a digest lists at most ${maxEntries} different alerts`,
    count: u.count,
    first: u.first,
    last: u.last,
  };
}
