// Enumerations shared by MLflow's two tracking backends (file store and SQL database).
import type { RunStatus } from '../types';

const STATUS_BY_INT: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
const LOGGED_MODEL_STATUS = ['UNSPECIFIED', 'PENDING', 'READY', 'FAILED'];

/** Run status: an int in the file store (1–5), a name in the database; missing means RUNNING. */
export function parseStatus(v: unknown): RunStatus {
  if (v === undefined || v === null) return 'RUNNING';
  if (typeof v === 'number') return STATUS_BY_INT[v] ?? 'UNKNOWN';
  const s = String(v).toUpperCase();
  if (/^\d+$/.test(s)) return STATUS_BY_INT[Number(s)] ?? 'UNKNOWN';
  return (['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const).find((x) => x === s) ?? 'UNKNOWN';
}

/** Logged-model status: an int in SQL (0–3), a name in meta.yaml. */
export function loggedModelStatus(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return LOGGED_MODEL_STATUS[v] ?? String(v);
  return String(v);
}
