//! The vault's index: one SQLite database (bundled, so every platform has the same SQLite) listing
//! items, their wrapped data keys, states and times, and their patient fields sealed.
//!
//! Set on every connection: `secure_delete=ON` (freed cells and pages are zeroed, so a destroyed
//! wrapped key does not linger in the file), `journal_mode=WAL`, `synchronous=FULL` (a committed
//! row survives power loss) and, after every deletion, `wal_checkpoint(TRUNCATE)` (old page images
//! holding the destroyed key leave the WAL).
//!
//! Schema versions live in `PRAGMA user_version`; [`MIGRATIONS`] lists every step and each runs in
//! its own transaction. An index newer than this build is refused, never downgraded.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::error::VaultError;
use super::format::ItemId;

/// Every schema step, in order; entry `i` upgrades version `i` to `i + 1`.
/// Never edit a shipped step: add a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: vault metadata and items.
    "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
     CREATE TABLE items (
         id          BLOB PRIMARY KEY NOT NULL,  -- 16 random bytes, also the blob's file name
         kind        TEXT NOT NULL,              -- photo | thumbnail | consent | signature
         created_at  INTEGER NOT NULL,           -- Unix time, milliseconds
         state       TEXT NOT NULL,              -- stored | queued | sent
         size        INTEGER NOT NULL,           -- plaintext bytes
         wrapped_key BLOB                        -- NULL once crypto-shredded
     );",
    // 2: sealed patient fields per item, and retention scans by age.
    "ALTER TABLE items ADD COLUMN patient BLOB;  -- nonce || AES-256-GCM(fields subkey) || tag
     CREATE INDEX items_created_at ON items (created_at);",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// One row of `items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub id: ItemId,
    pub kind: String,
    pub created_at: i64,
    pub state: String,
    pub size: i64,
    /// `None` once shredded.
    pub wrapped_key: Option<Vec<u8>>,
    pub patient: Option<Vec<u8>>,
}

/// The open index.
#[derive(Debug)]
pub(crate) struct Index {
    conn: Connection,
}

fn not_a_db(e: rusqlite::Error) -> VaultError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => VaultError::NotAVault,
        _ => VaultError::from(e),
    }
}

const ROW_COLUMNS: &str = "id, kind, created_at, state, size, wrapped_key, patient";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let id: Vec<u8> = r.get(0)?;
    let id: [u8; 16] = id.as_slice().try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "item id is not 16 bytes".into(),
        )
    })?;
    Ok(Row {
        id: ItemId(id),
        kind: r.get(1)?,
        created_at: r.get(2)?,
        state: r.get(3)?,
        size: r.get(4)?,
        wrapped_key: r.get(5)?,
        patient: r.get(6)?,
    })
}

impl Index {
    /// Opens (creating if absent) the index at `path` and migrates it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Index, VaultError> {
        Self::open_at(path, SCHEMA_VERSION)
    }

    /// Opens the index and migrates it up to `target` only (tests build old versions with this).
    pub fn open_at(path: &Path, target: u32) -> Result<Index, VaultError> {
        let conn = Connection::open(path)?;
        // secure_delete first, so nothing freed from here on keeps its bytes.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(not_a_db)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(not_a_db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(VaultError::Index {
                detail: format!("journal mode is {mode}, not WAL"),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut index = Index { conn };
        index.migrate(target)?;
        Ok(index)
    }

    /// The schema version on disk.
    pub fn version(&self) -> Result<u32, VaultError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(not_a_db)
    }

    fn migrate(&mut self, target: u32) -> Result<(), VaultError> {
        let found = self.version()?;
        if found > SCHEMA_VERSION {
            return Err(VaultError::UnknownVersion {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, step) in MIGRATIONS
            .iter()
            .enumerate()
            .take(target as usize)
            .skip(found as usize)
        {
            let tx = self.conn.transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", (i + 1) as u32)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// A value from `meta`.
    pub fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Writes several `meta` values in one transaction.
    pub fn set_meta(&mut self, values: &[(&str, &[u8])]) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        for (name, value) in values {
            tx.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                params![name, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Inserts an item row and deletes the rows `retire` (their wrapped keys with them; zeroed in
    /// the page by `secure_delete`) in one transaction, committed and durable when this returns.
    /// Returns how many of `retire` still held a key.
    pub fn insert_retiring(&mut self, r: &Row, retire: &[ItemId]) -> Result<usize, VaultError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO items (id, kind, created_at, state, size, wrapped_key, patient)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.id.0.as_slice(),
                r.kind,
                r.created_at,
                r.state,
                r.size,
                r.wrapped_key,
                r.patient
            ],
        )?;
        let mut live = 0;
        for id in retire {
            live += tx.execute(
                "DELETE FROM items WHERE id = ?1 AND wrapped_key IS NOT NULL",
                [id.0.as_slice()],
            )?;
            // A row already shredded (a crash mid-delete) goes too.
            tx.execute("DELETE FROM items WHERE id = ?1", [id.0.as_slice()])?;
        }
        tx.commit()?;
        Ok(live)
    }

    /// The row for `id`, shredded or not.
    pub fn get(&self, id: ItemId) -> Result<Option<Row>, VaultError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM items WHERE id = ?1"),
                [id.0.as_slice()],
                row,
            )
            .optional()?)
    }

    /// Every row, oldest first; with `live_only`, only those whose key is intact.
    pub fn rows(&self, live_only: bool) -> Result<Vec<Row>, VaultError> {
        let filter = if live_only {
            "WHERE wrapped_key IS NOT NULL"
        } else {
            ""
        };
        let mut st = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM items {filter} ORDER BY created_at, id"
        ))?;
        let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Sets an item's state; false if there is no live item `id`.
    pub fn set_state(&mut self, id: ItemId, state: &str) -> Result<bool, VaultError> {
        let n = self.conn.execute(
            "UPDATE items SET state = ?2 WHERE id = ?1 AND wrapped_key IS NOT NULL",
            params![id.0.as_slice(), state],
        )?;
        Ok(n == 1)
    }

    /// Crypto-shreds `ids` in one durable transaction: their wrapped keys and sealed patient fields
    /// are overwritten with NULL (and, with `secure_delete`, the old bytes zeroed in the page).
    /// Returns how many live items it shredded.
    pub fn shred(&mut self, ids: &[ItemId]) -> Result<usize, VaultError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for id in ids {
            n += tx.execute(
                "UPDATE items SET wrapped_key = NULL, patient = NULL
                 WHERE id = ?1 AND wrapped_key IS NOT NULL",
                [id.0.as_slice()],
            )?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Deletes the rows `ids` in one transaction.
    pub fn delete_rows(&mut self, ids: &[ItemId]) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute("DELETE FROM items WHERE id = ?1", [id.0.as_slice()])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Copies the WAL into the database and truncates the WAL to zero bytes, so page images that
    /// held destroyed keys are gone from the folder.
    pub fn checkpoint_truncate(&self) -> Result<(), VaultError> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(VaultError::Index {
                detail: "the index is busy; its log could not be cleared".into(),
            });
        }
        Ok(())
    }

    /// Direct access for tests that tamper with the database.
    #[cfg(test)]
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}
