//! The jurisdiction tree, held in memory.
//!
//! Org units change rarely (only the seed and the generator create them) and are read on
//! every request (the token's `org`, every scope check), so the server keeps the whole tree
//! in memory and reloads it when asked for a code it does not know, at most once every few
//! seconds so that unknown codes cannot turn into a stream of reloads.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use entity::{org_unit, OrgLevel};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};

use super::values::OrgPath;
use crate::error::{AppError, AppResult};

const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// One node of the jurisdiction tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: OrgLevel,
    pub parent_id: Option<i64>,
    pub path: OrgPath,
}

impl TryFrom<org_unit::Model> for OrgUnit {
    type Error = AppError;

    fn try_from(model: org_unit::Model) -> AppResult<Self> {
        let path = OrgPath::parse(&model.path).ok_or_else(|| {
            AppError::internal(format!("org unit {} has a malformed path", model.id))
        })?;
        Ok(Self {
            id: model.id,
            code: model.code,
            name: model.name,
            level: model.level,
            parent_id: model.parent_id,
            path,
        })
    }
}

#[derive(Default)]
struct Tree {
    by_id: HashMap<i64, Arc<OrgUnit>>,
    by_code: HashMap<String, i64>,
    children: HashMap<Option<i64>, Vec<i64>>,
    loaded_at: Option<Instant>,
}

/// In-memory copy of the org-unit table.
#[derive(Default)]
pub struct OrgDirectory {
    tree: RwLock<Tree>,
}

impl OrgDirectory {
    pub async fn load(db: &DatabaseConnection) -> AppResult<Self> {
        let directory = Self::default();
        directory.reload(db).await?;
        Ok(directory)
    }

    /// Reads the whole table again.
    pub async fn reload(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let rows = org_unit::Entity::find()
            .order_by_asc(org_unit::Column::Id)
            .all(db)
            .await?;
        let mut tree = Tree {
            loaded_at: Some(Instant::now()),
            ..Tree::default()
        };
        for row in rows {
            let unit = OrgUnit::try_from(row)?;
            tree.by_code.insert(unit.code.clone(), unit.id);
            tree.children
                .entry(unit.parent_id)
                .or_default()
                .push(unit.id);
            tree.by_id.insert(unit.id, Arc::new(unit));
        }
        *self
            .tree
            .write()
            .map_err(|_| AppError::internal("org directory lock poisoned"))? = tree;
        Ok(())
    }

    pub async fn by_code(
        &self,
        db: &DatabaseConnection,
        code: &str,
    ) -> AppResult<Option<Arc<OrgUnit>>> {
        if let Some(unit) = self.cached_by_code(code)? {
            return Ok(Some(unit));
        }
        if self.may_reload()? {
            self.reload(db).await?;
        }
        self.cached_by_code(code)
    }

    pub async fn by_id(&self, db: &DatabaseConnection, id: i64) -> AppResult<Option<Arc<OrgUnit>>> {
        if let Some(unit) = self.cached_by_id(id)? {
            return Ok(Some(unit));
        }
        if self.may_reload()? {
            self.reload(db).await?;
        }
        self.cached_by_id(id)
    }

    /// A unit known to exist (its id came from a row with a foreign key to it).
    pub fn cached_by_id(&self, id: i64) -> AppResult<Option<Arc<OrgUnit>>> {
        Ok(self.read()?.by_id.get(&id).cloned())
    }

    /// The unit a stored materialized path ends at (the last id in it).
    pub fn cached_by_path(&self, path: &str) -> AppResult<Option<Arc<OrgUnit>>> {
        let last = OrgPath::parse(path)
            .and_then(|p| {
                p.as_str()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .map(str::to_owned)
            })
            .and_then(|id| id.parse::<i64>().ok());
        match last {
            Some(id) => self.cached_by_id(id),
            None => Ok(None),
        }
    }

    /// The unit `levels` deep on a stored path (1: the city, 2: the district, 3: the street).
    pub fn ancestor_at(&self, path: &str, levels: usize) -> AppResult<Option<Arc<OrgUnit>>> {
        let id = path
            .split('/')
            .filter(|s| !s.is_empty())
            .nth(levels.saturating_sub(1))
            .and_then(|id| id.parse::<i64>().ok());
        match id {
            Some(id) => self.cached_by_id(id),
            None => Ok(None),
        }
    }

    /// The direct children of a unit (or the roots, for `None`), in id order.
    pub fn children(&self, parent_id: Option<i64>) -> AppResult<Vec<Arc<OrgUnit>>> {
        let tree = self.read()?;
        Ok(tree
            .children
            .get(&parent_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| tree.by_id.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn len(&self) -> AppResult<usize> {
        Ok(self.read()?.by_id.len())
    }

    pub fn is_empty(&self) -> AppResult<bool> {
        Ok(self.len()? == 0)
    }

    fn cached_by_code(&self, code: &str) -> AppResult<Option<Arc<OrgUnit>>> {
        let tree = self.read()?;
        Ok(tree
            .by_code
            .get(code)
            .and_then(|id| tree.by_id.get(id))
            .cloned())
    }

    fn may_reload(&self) -> AppResult<bool> {
        Ok(self
            .read()?
            .loaded_at
            .is_none_or(|at| at.elapsed() >= MIN_RELOAD_INTERVAL))
    }

    fn read(&self) -> AppResult<std::sync::RwLockReadGuard<'_, Tree>> {
        self.tree
            .read()
            .map_err(|_| AppError::internal("org directory lock poisoned"))
    }
}

/// How deep a level lies in the tree: the city is 1, a grid 5 (for [`OrgDirectory::ancestor_at`]).
pub fn depth(level: entity::OrgLevel) -> usize {
    match level {
        entity::OrgLevel::City => 1,
        entity::OrgLevel::District => 2,
        entity::OrgLevel::Street => 3,
        entity::OrgLevel::Community => 4,
        entity::OrgLevel::Grid => 5,
    }
}
