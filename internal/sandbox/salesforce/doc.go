// Package salesforce is a Salesforce org in memory that speaks Salesforce's
// own wire formats, so that a Salesforce client — our connector, or any
// other — cannot tell it from the real service. Tests start it in-process
// on a loopback port (httptest.NewServer(salesforce.New(cfg))); `crmsync
// sandbox salesforce` runs it for people.
//
// It follows the REST API (versions 50.0 to 66.0 by default), OAuth 2.0 and
// Bulk API 2.0 as Salesforce documents them:
//
//   - /services/oauth2/token with the authorization_code, refresh_token,
//     password, client_credentials and JWT bearer grants; authorize (the
//     web-server flow, approved at once), revoke, userinfo and the identity
//     URL /id/{org}/{user}. Access tokens expire (Config.AccessTokenTTL);
//     an expired or revoked one answers 401 INVALID_SESSION_ID.
//   - /services/data (versions) and /services/data/vXX.X/: resources,
//     limits, sobjects (describeGlobal), sobjects/{o} (basic information,
//     create), describe, rows by id (get, PATCH update, DELETE), rows by
//     external id (upsert: 201 created, 200 updated, 300 ambiguous),
//     updated/ and deleted/ (getUpdated over 30 days, getDeleted over 15,
//     600,000 ids at most), query and queryAll with nextRecordsUrl paging
//     (2,000 records a page), sObject Collections (create, retrieve,
//     update, upsert, delete; 200 records, allOrNone), Composite, and
//     Bulk API 2.0 query and ingest jobs with CSV results, Sforce-Locator
//     and Sforce-NumberOfRecords.
//   - Errors as [{"message","errorCode","fields"}] with Salesforce's codes,
//     and the Sforce-Limit-Info: api-usage=N/M header on every API answer;
//     past Config.DailyAPIRequests calls answer 403 REQUEST_LIMIT_EXCEEDED.
//
// The org holds the standard objects User, Profile, Account, Contact, Lead,
// Opportunity, Event, Task and Asset with their standard fields, 18-character
// ids with the right key prefixes, audit fields stamped to the second, a
// recycle bin, and custom fields (__c) added by configuration or at run
// time. SOQL is parsed for real (soql.go): a subset with WHERE, ORDER BY,
// LIMIT, OFFSET, COUNT(), date literals and parent fields one level up
// (Account.Name, Profile.Name), with Salesforce's error codes and
// positions.
//
// Beyond Salesforce, the /__sandbox/ admin surface (admin.go) and the
// matching Go methods seed and reset the org, edit records as one of its
// users outside the API allowance, add fields, move the clock, and flip the
// fault switches of faults.go: latency and spikes, 503s, 429s with
// Retry-After, lost answers, partial Collections and Bulk failures,
// expired and revoked tokens.
//
// Records live in memory, about 1.1 KB for a Contact: an org of a million
// contacts wants a bit over a gigabyte, so large benchmarks are better run
// against `crmsync sandbox salesforce` in its own process.
//
// The package shares no code with the connector (internal/connector/
// salesforce): it is an independent implementation of the server side,
// checked against Salesforce's published Postman requests and against the
// independent client github.com/k-capehart/go-salesforce.
package salesforce
