# Messages in English, sent when the request's Accept-Language prefers English.
# Every key here is in zh-CN.ftl too (a unit test holds them to it).

## Errors: the frame of each kind

field-problem = { $path }: { $problem }
field-problem-unlabelled = { $path }: { $problem }
error-not-found = { $entity } not found
error-conflict = { $entity } { $id } was changed by someone else: the current version is { $version }
error-unavailable = the service is temporarily unavailable, please retry
error-internal = internal error
error-audit-unavailable = the audit trail is unavailable
error-too-many-requests = too many requests: retry in { $seconds } s
error-get-is-read-only = only queries may be sent with GET; use POST for mutations
graphql-verbatim = { $detail }
graphql-error = { $detail }

## Authentication

authentication-required = authentication required
token-missing = missing bearer token
token-header-shape = the Authorization header must be `Bearer <token>`
token-org-unknown = the token names an unknown org unit
token-no-kid = the token names no key (kid)
token-kid-unknown = the token's key (kid) is not known
token-algorithm-refused = the token's algorithm is not accepted
token-issued-in-future = the token was issued in the future
token-revoked = the token has been revoked
token-expired = the token has expired
token-signature-invalid = the token's signature is invalid
token-issuer-refused = the token's issuer is not accepted
token-audience-refused = the token's audience is not accepted
token-claim-missing = the token lacks a required claim
token-not-yet-valid = the token is not valid yet
token-claims-invalid = the token's claims are invalid (unknown agency, role or missing field)
token-malformed = the token is malformed

## Access

forbidden-role = { $agency } { $role } users may not do this
org-unit-outside-jurisdiction = orgUnit: outside your jurisdiction
reporting-unit-outside-jurisdiction = input.reportingUnit: the unit lies outside your jurisdiction
grid-outside-jurisdiction = { $field }: the grid lies outside your jurisdiction
persisted-only-registered = this client may run only its registered operations (persisted-query allow-list)
held-settled-by-full-document-agencies = held registrations are settled by agencies that see document numbers in full
daily-report-own-community-only = orgUnit: only the community's own officers confirm its report
task-may-not-send = { $agency } may not send { $kind } tasks to { $to }
task-route = input.toOrgUnit: { $kind } tasks go to { $to } of the person's { $level } ({ $code } { $name }), or a unit below it where the person lives; not { $asked_code } { $asked_name }
changes-kind-not-read = { $agency } users do not read records of kind { $kind }

## Limits

limit-nested-first = first: at most { $max } items in a nested list
limit-batch = { $field }: at most { $max } per batch
limit-batch-operations = a batch holds 1 to { $max } operations
limit-body = the request body exceeds { $max } bytes
limit-chain-depth = depth: at most { $max }
limit-fragments = a query may define at most { $max } fragments
limit-root-fields = an operation may select at most { $max } root fields
limit-input-depth = { $at }: input values may nest at most { $max } levels
limit-string = { $at }: strings may be at most { $max } characters
look-alikes-refused = { $count } different numbers resembling a resident's were already entered by your agency within { $hours } hours; have health or police enter this one, or try again tomorrow
limit-aliases = a query may use at most { $max } aliases
limit-too-deep = Query is nested too deep.
limit-too-complex = Query is too complex.

## The request itself

not-a-graphql-request = not a GraphQL request in JSON: { $detail }
bad-query-string = { $detail }
bad-body = { $detail }
unknown-field = Unknown field "{ $field }" on type "{ $type }".
unknown-input-field = Unknown field "{ $field }" on input type "{ $type }".
unknown-argument = Unknown argument "{ $argument }" on field "{ $field }".
argument-required = is required (type { $type }) but not provided
enum-value-unknown = expected one of the values of { $type }, got { $value }
expected-type = expected a value of type { $type }
expected-type-got = expected a value of type { $type }, got { $value }
expected-date = expected YYYY-MM-DD
expected-date-got = expected YYYY-MM-DD, got { $value }
expected-datetime = expected a date and time with its offset, like 2026-12-03T08:30:00+08:00
expected-datetime-got = expected a date and time with its offset, like 2026-12-03T08:30:00+08:00, got { $value }
expected-int = expected a whole number
expected-float = expected a number
expected-boolean = expected true or false
expected-text = expected a string
expected-id = expected an id
unknown-input-field-problem = there is no such input field on { $type }

## Input values

must-not-be-empty = must not be empty
must-be-at-most-chars = must be at most { $max } characters
must-not-contain-control-characters = must not contain control characters
must-not-be-negative = must not be negative
must-not-be-in-the-future = must not be in the future
must-not-be-in-the-past = must not be in the past
must-not-be-after-to = must not be after `to`
must-be-a-number = must be a number
out-of-range = is out of range
period-at-most-days = a period is at most { $max } days
expected-phone = must be an 11-digit mobile number or a landline with its area code
expected-document-number = must be 5 to 20 letters and digits
expected-client-key = must be 1 to 64 letters, digits or -_.: (a UUID fits)
expected-travel-number = must be 5 to 12 letters, digits or Chinese characters
birth-date-too-early = must not be before 1900-01-01
temperature-one-decimal = must have at most one decimal, e.g. 36.8
temperature-range = must be between 30.0 and 45.0 °C
resident-id-shape = must be 18 characters: 17 digits and a check digit (0-9 or X)
resident-id-region = the region code (first 6 digits) is not a valid province code
resident-id-birth-date = digits 7 to 14 are not a valid birth date
resident-id-check-digit = the check digit does not match
more-than-days-ago = is more than { $days } days ago
outside-jurisdiction = is outside your jurisdiction
person-or-traveller-not-both = give either person or traveller, not both
person-traveller-or-plate = give the person, the traveller or at least the vehicle plate
needed-with-document-type = is needed with a document type
not-a-valid-id = not a valid id
not-a-cursor = not a cursor of this list
unknown-org-unit = unknown org unit
must-be-a-grid = must be a grid (网格), the lowest org level
required-with-document-number = is required with documentNumber
required-with-document-type = is required with documentType
name-does-not-match-document = does not match the name registered with this document
does-not-match-resident-id = does not match the resident ID number
set-by-resident-id = is set by the resident ID number and cannot be changed
say-why = say why, in a few words

## Rules of the records

person-has-open-case = already has an open case
person-has-open-case-id = already has an open case ({ $case })
case-reported-classification = a case is reported as SUSPECTED, CONFIRMED or ASYMPTOMATIC, not { $classification }
case-closed-no-reclassification = the case is closed ({ $current }, { $outcome }): its classification cannot change to { $next }
case-reclassification-refused = cannot change classification from { $current } to { $next }
case-closed-no-outcome-change = cannot change outcome from { $current } to { $next }: the case is closed
case-closing-refused = cannot change outcome from { $current } to { $next } for a { $classification } case
is-source-case-person = is the source case's own person
not-a-contact-of-this-person = is not a contact record of this person
lab-pending-has-no-result-time = a PENDING test has no result time
before-sample-taken = is before the sample was taken
lab-pending-to-pending = cannot change PENDING to PENDING: give NEGATIVE or POSITIVE
lab-result-final = cannot change { $current } to { $next }: a result is final
after-source-case-closed = is after the source case was closed on { $date }
already-a-contact = is already a recorded contact of this case
already-a-contact-id = is already a recorded contact of this case ({ $id })
already-observed = is already under active medical observation
already-observed-id = is already under active medical observation ({ $id })
planned-end-range = must be between the start date and { $days } days after it
observation-ended-final = cannot change from { $current } to { $next }: the observation has ended
merge-needs-full-numbers = a record with a resident ID number and a record with a birth date of its own are merged by an agency that sees numbers in full (health or police)
limit-page = first: at most { $max } items per page
before-observation-start = is before the observation started
only-for-centralized = is only for CENTRALIZED observation
only-for-released = is only for RELEASED
required-for-centralized = is required for CENTRALIZED observation
required-to-release = is required to release someone (解除医学观察通知书编号)
task-side-sender = the sending agency
task-side-receiver = the receiving agency
task-transition-refused = cannot change a task from { $current } to { $next }
task-transition-by-other-side = only { $side } may change a task from { $current } to { $next }
daily-report-by-communities = daily reports are confirmed by communities (社区/村)
daily-report-not-confirmed-yet = this day has not been confirmed yet: confirm it without a version
merge-both-documented = both records carry a document number: they are different people
merge-both-open-cases = both records have an open case: close one of them first
merge-both-observed = both records are under active observation: end one of them first
merge-birth-date-contradicts = its birth date contradicts the other record's resident ID number
must-be-another-person = must be another person than keepId
not-a-held-registration = is not a held registration
held-person-merged-away = the person it names was merged away

## Names of records

entity-Person = Person
entity-Case = Case
entity-Contact = Contact
entity-Quarantine = Quarantine
entity-HealthCheck = HealthCheck
entity-LabTest = LabTest
entity-Task = Task
entity-OrgUnit = OrgUnit
entity-DailyReport = DailyReport
entity-CheckpointEntry = CheckpointEntry
entity-Alert = Alert

## Names of input fields (Chinese shows them; English names the field by its path)

field-birthDate = birth date
field-name = name
field-sex = sex
field-phone = phone
field-address = address
field-documentNumber = document number
field-documentType = document type
field-residence = residence
field-reason = reason
field-note = note
field-classification = classification
field-outcome = outcome
field-onsetDate = onset date
field-lastExposureDate = last exposure date
field-laboratory = laboratory
field-resultAt = result time
field-sampledAt = sample time
field-result = result
field-temperature = temperature
field-date = date
field-from = from
field-to = to
field-orgUnit = org unit
field-first = first
field-after = after
field-depth = depth
field-dueAt = due date
field-startDate = start date
field-endDate = end date
field-releaseNoticeNumber = release notice number
field-site = site
field-idempotencyKey = idempotency key
field-person = person
field-id = id

## Alerts

alert-new-case = New { $classification } case reported
alert-case-reclassified = Case reclassified from { $current } to { $next }
alert-contact-traced = Close contact of a { $classification } case traced ({ $relation }, last exposure { $exposure }); follow up until { $until }
alert-contact-traced-short = Close contact of a { $classification } case traced
alert-fever = Fever: { $temperature }
alert-respiratory = Respiratory symptoms: { $symptoms }
alert-observation-ended-early = Medical observation ended early ({ $outcome }), planned until { $until }
alert-observation-ended = Observation ended early: { $outcome }
alert-checkpoint-fever-risk = Fever { $temperature } at { $checkpoint }, arriving from risk area ({ $place })
alert-checkpoint-fever = Fever { $temperature } at { $checkpoint }
alert-checkpoint-fever-plain = Fever at { $checkpoint }
alert-risk-arrival = Arrival at { $checkpoint } from risk area ({ $place })

## Ledgers and the partner's copy

error-snapshot-required = the change log no longer holds every change after this cursor: take a new snapshot and follow the feed from its cursor
snapshot-cursor-invalid = not a cursor of a snapshot
export-too-many-rows = too many rows for a sheet
export-parameter-unknown = not a parameter of this ledger (it takes { $known })
export-parameter-not-json = not JSON: { $detail }

## A batch item as the device sent it

sent-wrong-form = { $shown } { $what }: expected { $form }
sent-no-offset = has no offset
sent-date-without-time = is a date without a time
sent-number-for-timestamp = is a number, not a timestamp
sent-not-a-timestamp = is not a timestamp
sent-not-a-number = is not a number
sent-not-one-of = is not a value of this field
form-one-of = one of { $names }
form-instant = RFC 3339 with an offset, e.g. 2026-12-03T08:30:00+08:00
form-temperature = °C as a number with at most one decimal, e.g. 36.8
form-name = a name of this field's list
key-reused = was already used for a { $noun } with a different { $differs }: nothing was written, and the { $noun } recorded with this key is returned; a new { $noun } needs a new key
look-alikes-not-tried = a dry run does not try a number that looks like one of your residents' (a masked number could be found by trying); import the list to register it

## Line-list imports

import-columns-both-hold = columns "{ $first }" and "{ $header }" both hold { $field }; map one of them to ignore
import-no-such-column = the file has no column "{ $header }"
import-no-name-column = no column holds the name (姓名/name); name it so, or map it with { $example }
import-mapping-not-object = must be a JSON object of column headers to fields, e.g. { $example }
import-not-a-field = "{ $key }" is not a field; use one of { $fields }
import-old-xls = an old .xls workbook; save it as .xlsx or .csv and upload again
import-unreadable-file = not a readable { $format } file: { $detail }
import-bad-document-type = not a document type: 身份证, 护照, 港澳通行证, 台胞证, 永久居留证 or 其他
import-bad-sex = not 男/女 (male/female)
import-bad-birth-date = not a date such as 1980-05-17 or 1980年5月17日
import-bad-arrival-date = not a date such as 2026-11-28 or 11月28日
import-report-page = must be between 1 and { $max }
import-report-cursor = not a cursor of this report
import-report-outcome = one of CREATED, UPDATED, UNCHANGED, POSSIBLE_DUPLICATE, REJECTED
import-not-multipart = not a multipart/form-data upload with a file field: { $detail }
import-file-empty = is empty
import-field-too-large = the form field { $name } exceeds { $max } bytes
import-field-not-utf8 = must be UTF-8 text
import-not-a-flag = must be true or false
import-unknown-form-field = not a field of an import: file, mapping, dryRun, grid
import-file-required = is required: -F file=@list.csv
import-file-too-large = the file exceeds { $max } bytes (MAX_IMPORT_BYTES); split it into smaller lists
import-too-many-rows = the file holds more than { $max } rows; split it into smaller lists
import-no-header = no header row: the file holds no row of two or more columns
import-no-grid = no grid: give the grid's code in a 网格 column, or a grid for the whole list
import-unknown-grid = unknown grid: give the grid's code (e.g. DEMO-01-01-01-01), or its name within your community
import-same-as-row = the same person as row { $row }
import-matches-several = matches { $count } persons in your jurisdiction by name with phone or birth date (ids { $ids }); give the document number, or merge them
import-interrupted = the server stopped while this import ran; rows up to the last one reported were kept; upload the file again to import the rest (rows already imported are not written twice)
