// Package task is the reminder-task domain: the hub's own task list and its
// two-way sync with CRM Tasks (SPEC T1–T8), declared as a syncer stream.
package task
