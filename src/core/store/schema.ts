// Numbered migrations. The database is an index rebuilt from workspace files, but migrations
// still run in order so that a store written by an older MLCycle opens without a rescan.
// `PRAGMA user_version` holds the number of the last migration applied.
import type { Database } from 'sql.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sources, experiments, runs, params, tags, metrics, artifacts, datasets, logged and registered models, diagnostics',
    sql: `
      CREATE TABLE sources (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        path        TEXT NOT NULL UNIQUE,
        state       TEXT,
        -- what the registry rows were written from, to skip rewriting an unchanged registry
        registry    TEXT,
        scanned_at  INTEGER
      );
      CREATE TABLE experiments (
        id                INTEGER PRIMARY KEY,
        source_id         INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        native_id         TEXT NOT NULL,
        name              TEXT NOT NULL,
        deleted           INTEGER NOT NULL DEFAULT 0,
        artifact_location TEXT,
        created           INTEGER,
        updated           INTEGER,
        tags              TEXT,
        UNIQUE (source_id, native_id)
      );
      CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        native_id     TEXT NOT NULL,
        experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
        name          TEXT,
        status        TEXT NOT NULL,
        start_time    INTEGER,
        end_time      INTEGER,
        deleted       INTEGER NOT NULL DEFAULT 0,
        parent_id     TEXT,
        user          TEXT,
        path          TEXT,
        artifact_uri  TEXT,
        state         TEXT,
        UNIQUE (source_id, native_id)
      );
      CREATE INDEX runs_start ON runs (start_time);
      CREATE TABLE params (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE tags (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      -- One row per (run, metric): the summary read by lists and tables. The history itself is in
      -- the run's series file (seriesFiles.ts). last is NULL when the last value is NaN.
      CREATE TABLE metrics (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        count     INTEGER NOT NULL,
        last      REAL,
        last_step INTEGER NOT NULL,
        last_time INTEGER,
        min       REAL,
        max       REAL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE artifacts (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        path   TEXT NOT NULL,
        kind   TEXT NOT NULL,
        size   INTEGER,
        PRIMARY KEY (run_id, path)
      ) WITHOUT ROWID;
      CREATE TABLE datasets (
        source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        native_id   TEXT NOT NULL,
        experiment  TEXT,
        name        TEXT,
        digest      TEXT,
        source_type TEXT,
        location    TEXT,
        schema      TEXT,
        profile     TEXT,
        PRIMARY KEY (source_id, native_id)
      ) WITHOUT ROWID;
      -- Lineage edges into a run: a dataset or a logged model it consumed.
      CREATE TABLE run_inputs (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind      TEXT NOT NULL,
        ref_id    TEXT NOT NULL,
        context   TEXT,
        PRIMARY KEY (run_id, kind, ref_id)
      ) WITHOUT ROWID;
      -- MLflow 3 logged models: produced by a run (lineage edge run -> model).
      CREATE TABLE logged_models (
        source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        native_id     TEXT NOT NULL,
        experiment    TEXT,
        name          TEXT,
        run_native_id TEXT,
        status        TEXT,
        deleted       INTEGER NOT NULL DEFAULT 0,
        location      TEXT,
        created       INTEGER,
        params        TEXT,
        metrics       TEXT,
        tags          TEXT,
        PRIMARY KEY (source_id, native_id)
      ) WITHOUT ROWID;
      -- A model registry read from a source (MLflow's), shown read-only.
      CREATE TABLE source_models (
        source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        description TEXT,
        created     INTEGER,
        updated     INTEGER,
        tags        TEXT,
        aliases     TEXT,
        PRIMARY KEY (source_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE source_model_versions (
        source_id        INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        model_name       TEXT NOT NULL,
        version          INTEGER NOT NULL,
        stage            TEXT,
        status           TEXT,
        deleted          INTEGER NOT NULL DEFAULT 0,
        run_native_id    TEXT,
        model_id         TEXT,
        source_uri       TEXT,
        storage_location TEXT,
        description      TEXT,
        created          INTEGER,
        updated          INTEGER,
        tags             TEXT,
        aliases          TEXT,
        PRIMARY KEY (source_id, model_name, version)
      ) WITHOUT ROWID;
      -- What went wrong while reading, by scope ("discovery", "source:<path>", "run:<source>:<id>")
      -- so that re-reading one run replaces exactly its own diagnostics.
      CREATE TABLE diagnostics (
        id       INTEGER PRIMARY KEY,
        scope    TEXT NOT NULL,
        severity TEXT NOT NULL,
        file     TEXT NOT NULL,
        line     INTEGER,
        message  TEXT NOT NULL
      );
      CREATE INDEX diagnostics_scope ON diagnostics (scope);
    `,
  },
  {
    version: 2,
    description: 'lineage edges; git context of runs',
    sql: `
      -- Edges read from a source: dvc.lock deps and outs (files with their hashes) and stages,
      -- MLflow dataset inputs and logged-model outputs. A node is (kind, key, hash): a file at one
      -- content hash, a pipeline stage, a run. Replaced per source on each read of it.
      CREATE TABLE lineage (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        from_kind TEXT NOT NULL,
        from_key  TEXT NOT NULL,
        from_hash TEXT,
        to_kind   TEXT NOT NULL,
        to_key    TEXT NOT NULL,
        to_hash   TEXT,
        relation  TEXT NOT NULL,
        meta      TEXT
      );
      CREATE INDEX lineage_from ON lineage (from_kind, from_key);
      CREATE INDEX lineage_to ON lineage (to_kind, to_key);
      CREATE INDEX lineage_source ON lineage (source_id);
      -- Where the code of a run came from (simple-git, or the tool's own record of it).
      ALTER TABLE runs ADD COLUMN git_commit TEXT;
      ALTER TABLE runs ADD COLUMN git_branch TEXT;
      ALTER TABLE runs ADD COLUMN git_dirty INTEGER;
      ALTER TABLE runs ADD COLUMN git_remote TEXT;
      -- The folder a run's artifact paths are relative to, when it is not the run's folder.
      ALTER TABLE runs ADD COLUMN artifact_dir TEXT;
    `,
  },
  {
    version: 3,
    description: 'model registry: models, versions and their files, aliases, the journal events',
    sql: `
      -- All of it mirrors .mlcycle/registry.jsonl (src/core/registry/journal.ts), the truth about
      -- what users decided; a lost database is rebuilt from the journal.
      CREATE TABLE models (
        name        TEXT PRIMARY KEY,
        description TEXT,
        created     INTEGER NOT NULL,
        updated     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE model_versions (
        model        TEXT NOT NULL,
        version      INTEGER NOT NULL,
        stage        TEXT NOT NULL,
        stage_reason TEXT,
        stage_time   INTEGER NOT NULL,
        registered   INTEGER NOT NULL,
        actor        TEXT,
        source_path  TEXT,
        run_source   TEXT,
        run_id       TEXT,
        run_name     TEXT,
        git_commit   TEXT,
        digest       TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        metrics      TEXT,
        params       TEXT,
        PRIMARY KEY (model, version)
      ) WITHOUT ROWID;
      CREATE TABLE version_files (
        model   TEXT NOT NULL,
        version INTEGER NOT NULL,
        path    TEXT NOT NULL,
        sha256  TEXT NOT NULL,
        size    INTEGER NOT NULL,
        PRIMARY KEY (model, version, path)
      ) WITHOUT ROWID;
      CREATE TABLE model_aliases (
        model   TEXT NOT NULL,
        alias   TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (model, alias)
      ) WITHOUT ROWID;
      CREATE TABLE registry_events (
        seq     INTEGER PRIMARY KEY,
        id      TEXT NOT NULL UNIQUE,
        line    INTEGER,
        time    INTEGER NOT NULL,
        actor   TEXT,
        type    TEXT NOT NULL,
        model   TEXT NOT NULL,
        version INTEGER,
        data    TEXT NOT NULL
      );
      CREATE INDEX registry_events_model ON registry_events (model, seq);
      -- How much of the journal the tables above reflect.
      CREATE TABLE registry_journal (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        offset INTEGER NOT NULL,
        line   INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: 'deployment packages built for model versions',
    sql: `
      -- One row per zip built (src/core/package/). path is relative to the workspace folder ('/'
      -- separated), or absolute for a package written outside it. sha256 and size are those of
      -- the zip; verified_at is when every file in it last matched its manifest (NULL: never).
      -- The promotion gate "package built and verified" trusts a row only while the zip still
      -- has this sha256.
      CREATE TABLE packages (
        path        TEXT PRIMARY KEY,
        model       TEXT NOT NULL,
        version     INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        created     INTEGER NOT NULL,
        verified_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX packages_version ON packages (model, version);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database): number {
  const rows = db.exec('PRAGMA user_version');
  return Number(rows[0]?.values[0]?.[0] ?? 0);
}

/** Applies every migration newer than the database, each in its own transaction. */
export function migrate(db: Database): number {
  let version = schemaVersion(db);
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.exec('BEGIN');
    try {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`migration ${m.version} (${m.description}) failed: ${(err as Error).message}`);
    }
    version = m.version;
  }
  return version;
}
