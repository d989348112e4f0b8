// The registry journal, `.mlcycle/registry.jsonl`: one JSON event per line, appended and fsync'd
// before an action is reported done. It is the truth about what users decided (registrations,
// stage changes, aliases, reasons); the database only mirrors it and is rebuilt from it.
//
// Writers take the journal's lock, read what others appended since, validate, append, fsync.
// A line cut short by a killed writer (no newline at the end) was never acknowledged: the next
// writer removes it. A damaged line in the middle is reported and skipped; the rest is read.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { Diagnostic } from '../ingest/types';
import { acquire } from '../store/lock';

export const JOURNAL_VERSION = 1;

export interface JournalEvent {
  v: number;
  /** Unique id (several processes append to one journal). */
  id: string;
  /** ISO 8601 time of the action. */
  time: string;
  /** Who did it: `Name <email>` from git config, else the OS user. */
  actor: string;
  type: 'register' | 'stage' | 'alias' | 'unalias' | 'describe';
  model: string;
  version?: number;
  data: Record<string, unknown>;
}

export interface JournalLine {
  event: JournalEvent;
  /** 1-based line number. */
  line: number;
}

export interface JournalRead {
  lines: JournalLine[];
  /** Byte offset after the last complete line read. */
  end: number;
  diagnostics: Diagnostic[];
}

function isEvent(v: unknown): v is JournalEvent {
  const e = v as Partial<JournalEvent>;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.time === 'string' &&
    typeof e.type === 'string' &&
    typeof e.model === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null
  );
}

export class Journal {
  constructor(readonly file: string) {}

  get lockPath(): string {
    return this.file + '.lock';
  }

  /** Size of the journal (0 when it does not exist). */
  size(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /**
   * Reads complete lines from `fromByte` (with line numbers counted from `firstLine`). A final
   * line without a newline is left out: it is being written, or was cut short.
   */
  read(fromByte = 0, firstLine = 1): JournalRead {
    const diagnostics: Diagnostic[] = [];
    let buf: Buffer;
    try {
      const fd = fs.openSync(this.file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        buf = Buffer.alloc(Math.max(0, size - fromByte));
        fs.readSync(fd, buf, 0, buf.length, fromByte);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        diagnostics.push({ severity: 'error', file: this.file, message: `cannot read the registry journal: ${(err as Error).message}` });
      }
      return { lines: [], end: fromByte, diagnostics };
    }
    const lastNl = buf.lastIndexOf(10);
    const complete = lastNl === -1 ? 0 : lastNl + 1;
    const lines: JournalLine[] = [];
    const text = buf.toString('utf8', 0, complete);
    let lineNo = firstLine;
    for (const raw of text === '' ? [] : text.slice(0, -1).split('\n')) {
      if (raw.trim() !== '') {
        try {
          const parsed = JSON.parse(raw) as unknown;
          if (!isEvent(parsed)) throw new Error('not a registry event');
          if (parsed.v > JOURNAL_VERSION) {
            diagnostics.push({ severity: 'warning', file: this.file, line: lineNo, message: `event written by a newer MLCycle (format ${parsed.v}): skipped` });
          } else lines.push({ event: parsed, line: lineNo });
        } catch (err) {
          diagnostics.push({ severity: 'error', file: this.file, line: lineNo, message: `damaged registry event, skipped: ${(err as Error).message}` });
        }
      }
      lineNo++;
    }
    return { lines, end: fromByte + complete, diagnostics };
  }

  /**
   * Runs `fn` holding the journal's lock. `fn` reads what it needs, decides, and returns the
   * events to append (or throws to refuse); they are written and fsync'd before this returns.
   */
  transact<T>(fn: () => { events: Omit<JournalEvent, 'v' | 'id' | 'time'>[]; result: T }): { events: JournalEvent[]; result: T } {
    const release = acquire(this.lockPath);
    try {
      this.dropTornTail();
      const { events, result } = fn();
      const now = new Date().toISOString();
      const full = events.map((e) => ({ v: JOURNAL_VERSION, id: randomUUID(), time: now, ...e }) as JournalEvent);
      if (full.length > 0) this.append(full);
      return { events: full, result };
    } finally {
      release();
    }
  }

  private append(events: JournalEvent[]): void {
    const text = events.map((e) => JSON.stringify(e) + '\n').join('');
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A last line without its newline was cut short by a killed writer: it never happened. */
  private dropTornTail(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r+');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size === 0) return;
      const probe = Math.min(size, 1 << 20);
      const tail = Buffer.alloc(probe);
      fs.readSync(fd, tail, 0, probe, size - probe);
      if (tail[probe - 1] === 10) return;
      const nl = tail.lastIndexOf(10);
      const keep = nl === -1 ? size - probe : size - probe + nl + 1;
      fs.ftruncateSync(fd, keep);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
