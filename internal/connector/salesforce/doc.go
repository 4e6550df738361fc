// Package salesforce is the connector of a Salesforce org: it lists changes
// and writes records over the REST API (v62.0 by default) as Salesforce
// documents it, with OAuth 2.0 (refresh-token, JWT bearer or password
// grant) and sObject Collections, and nothing specific to our sandbox
// (internal/sandbox/salesforce), which its tests run against.
//
// Changes reads SOQL pages (nextRecordsUrl) ordered by SystemModstamp, Id,
// and getDeleted for tombstones; its cursor is JSON
// {"since": RFC 3339 SystemModstamp, "next": nextRecordsUrl} (plus
// "full": true on the intermediate pages of the first listing). Listings
// re-read one minute before since, so a record may be listed twice. A first
// listing counts the object (SELECT COUNT()); past Config.BulkThreshold
// (10,000 by default) it runs as a Bulk API 2.0 query job instead, read in
// CSV pages of Config.BulkPageSize rows (cursor "job" and "locator"), in no
// order, and the listing after it starts from the job's createdDate. The fields
// selected are Config.Fields[object] or, by default, every field describe
// reports except compound address and location fields. Write uses sObject
// Collections with allOrNone=false; creates carry the idempotency key in
// Config.ExternalIDField (default crmsync_Key__c, an External ID field
// every synced object needs) and are upserts on it, so a retried create
// never duplicates a record; a create without a Key is a plain POST and is
// not safe to retry.
//
// Every answer's Sforce-Limit-Info is kept (Connector.Usage); 429, 503 and
// REQUEST_LIMIT_EXCEEDED are retried with backoff honouring Retry-After,
// then answered as *connector.RetryError over connector.ErrRateLimited; a
// connection spends at most Config.Budget calls a day. An expired session
// is renewed once per call; a refused grant answers ErrReconnect. The JWT
// bearer flow (RFC 7523) signs an RS256 assertion with Config.PrivateKey
// for each login. A refresh token the org rotates goes to
// Config.OnRefreshToken; StoreFactory writes it to the connection's
// credentials.
//
// A store.Connection of system "salesforce" keeps its settings in Config:
//
//	{"base_url": "https://acme.my.salesforce.com", "api_version": "v62.0",
//	 "page_size": 2000, "max_retries": 5, "external_id_field": "crmsync_Key__c",
//	 "fields": {"Task": ["Subject", "Status"]}, "budget": 50000,
//	 "bulk_threshold": 10000, "bulk_page_size": 10000, "jwt_audience": "..."}
//
// (only base_url is required) and its secrets in Credentials:
//
//	{"client_id": "...", "client_secret": "...", "refresh_token": "..."}
//
// or "username" and "private_key" (PEM, PKCS #1 or #8) for the JWT bearer
// flow, or, for the sandbox, "username" and "password".
package salesforce
