// Package task is the reminder-task domain: the hub's own task list and its
// two-way sync with CRM Tasks (SPEC T1–T8), declared as a syncer stream,
// and the command center, the view of the tasks due today and tomorrow in
// the user's time zone (SPEC T4). The tasks themselves live in the store
// (store.HubTask); the connector/hubtask package offers them to the engine.
package task
