//! Layer 3 of the policy for persons: how much of one person a principal sees.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use entity::{person, DocumentType, Sex};

use super::policy::{access, Access, Data};
use crate::{
    auth::Principal,
    domain::values::{mask_document_number, pseudonymize_name},
};

/// How the principal reached this person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The person lives in the principal's jurisdiction: the policy's level applies.
    Jurisdiction,
    /// Reached through a record in the principal's jurisdiction (say, a contact of a local
    /// case) while living elsewhere: pseudonymized, whatever the policy's level.
    Related,
    /// The subject of a live task addressed to the principal's agency and jurisdiction: the
    /// policy's level for the person, for the life of the task, and none of their records.
    Task,
    /// An unexpired break-the-glass grant of this id: the policy's level for the person and
    /// their records, every read audited with the grant.
    Grant(i64),
}

/// A person as one principal may see them. Built only by [`PersonView::new`], which applies
/// the policy; the GraphQL type reads from it and cannot show more.
#[derive(Debug, Clone)]
pub struct PersonView {
    /// Shared with the request's loaders: a person met through many records is one row.
    model: Arc<person::Model>,
    reach: Reach,
    identity: Access,
    document: Access,
    vulnerability: Access,
}

impl PersonView {
    pub fn new(principal: &Principal, model: impl Into<Arc<person::Model>>, reach: Reach) -> Self {
        let model = model.into();
        let level = |data| access(principal.agency, principal.role, data);
        let reach_cap = match reach {
            Reach::Jurisdiction | Reach::Task | Reach::Grant(_) => Access::ReadWrite,
            Reach::Related => Access::Pseudonymized,
        };
        let identity = level(Data::PersonIdentity).min(reach_cap);
        // Identifiers and sensitive attributes only travel with the identity they belong to.
        let identified = identity >= Access::Read;
        let document = if identified {
            level(Data::DocumentNumber)
        } else {
            Access::None
        };
        let vulnerability = if identified {
            level(Data::Vulnerability)
        } else {
            Access::None
        };
        Self {
            model,
            reach,
            identity,
            document,
            vulnerability,
        }
    }

    pub fn id(&self) -> i64 {
        self.model.id
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// Records about the person (observations, checks, tests, exposures) are shown only to
    /// those who reach the person in their own jurisdiction.
    pub fn shows_records(&self) -> bool {
        matches!(self.reach, Reach::Jurisdiction | Reach::Grant(_))
    }

    /// The stored row, for code that builds further views from it (never sent as is).
    pub fn model(&self) -> &person::Model {
        &self.model
    }

    pub fn model_version(&self) -> i32 {
        self.model.version
    }

    pub fn is_pseudonymized(&self) -> bool {
        self.identity < Access::Read
    }

    pub fn name(&self) -> String {
        if self.is_pseudonymized() {
            pseudonymize_name(&self.model.name)
        } else {
            self.model.name.clone()
        }
    }

    pub fn sex(&self) -> Sex {
        self.model.sex
    }

    pub fn birth_year(&self) -> Option<i32> {
        self.model.birth_date.map(|d| d.year())
    }

    /// The full birth date goes with the full number (it is the number's hidden middle).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        (self.identified() && self.document >= Access::Read)
            .then_some(self.model.birth_date)
            .flatten()
    }

    pub fn phone(&self) -> Option<&str> {
        self.identified()
            .then_some(self.model.phone.as_deref())
            .flatten()
    }

    pub fn address(&self) -> Option<&str> {
        self.identified()
            .then_some(self.model.address.as_deref())
            .flatten()
    }

    pub fn document_type(&self) -> Option<DocumentType> {
        (self.document >= Access::Masked)
            .then_some(self.model.document_type)
            .flatten()
    }

    /// The number in full, masked (first 6 and last 4), or nothing, per the policy.
    pub fn document_number(&self) -> Option<String> {
        let number = self.model.document_number.as_deref()?;
        match self.document {
            Access::Read | Access::ReadWrite => Some(number.to_owned()),
            Access::Masked => Some(mask_document_number(number)),
            _ => None,
        }
    }

    pub fn vulnerabilities(&self) -> Option<i32> {
        (self.vulnerability >= Access::Read).then_some(self.model.vulnerabilities)
    }

    pub fn vulnerability_note(&self) -> Option<&str> {
        (self.vulnerability >= Access::Read)
            .then_some(self.model.vulnerability_note.as_deref())
            .flatten()
    }

    /// The residence grid's path: the person's sort key in lists, not shown to clients.
    pub fn residence_path(&self) -> &str {
        &self.model.residence_path
    }

    pub fn residence_org_id(&self) -> i64 {
        self.model.residence_org_id
    }

    pub fn created_by_agency(&self) -> Option<entity::Agency> {
        self.identified().then_some(self.model.created_by_agency)
    }

    pub fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.model.created_at
    }

    pub fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.model.updated_at
    }

    /// Whether the principal sees who this is (and so may see the provenance).
    pub fn identified(&self) -> bool {
        !self.is_pseudonymized()
    }
}
