// Package mail composes invitation emails and delivers them from the
// store's outbox over SMTP (RFC 5321) with STARTTLS (RFC 3207) and AUTH
// PLAIN (RFC 4954).
//
// A message is multipart/mixed: a multipart/alternative of text/plain,
// text/html and text/calendar (the iTIP method as a parameter, RFC 6047),
// then the same calendar as an invite.ics attachment.
//
// Delivery is recorded before and after the send: the Message-ID is fixed
// when the message is queued; a Deliverer claims a due message by pushing
// its next try a lease ahead (in one serializable transaction, so only one
// node holds it), sends it, and records it sent. SMTP has no idempotency
// key, so "exactly once" rests on this: a crash before the server's final
// 250 reply loses nothing and the message is sent once when the lease
// ends; a crash after that reply but before the sent record is committed
// is the one window where the message goes out a second time, with the same
// Message-ID, UID and SEQUENCE, which mail and calendar clients treat as
// the same message and the same meeting update.
package mail
