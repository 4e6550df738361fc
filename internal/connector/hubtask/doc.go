// Package hubtask is the connector of the hub's own reminder tasks: one
// user's task list in the hub store (store.HubTask), offered to the sync
// engine like any external system, so that reminder-task sync with the CRM
// (SPEC T1–T8) runs on the generic engine and the task domain adds no
// special case.
//
// The list has one object, "task", whose fields are name, status (Open or
// Complete), priority (Normal or High), due ("YYYY-MM-DD") and details.
// Changes reads the store's hub task change feed: the cursor is the Seq of
// the last change seen, in decimal, and deletes come as tombstones. Write
// applies a batch in one store transaction and answers per record: a value
// the hub refuses is a *connector.FieldError wrapping connector.ErrInvalid,
// and the rest of the batch goes on (SPEC X3); a create carrying a Key that
// a live task was created with answers that task instead of a duplicate
// (SPEC X2).
//
// The registry builds one per connection of system "hub-tasks", whose
// Config names the user: {"user_id": "..."}.
package hubtask
