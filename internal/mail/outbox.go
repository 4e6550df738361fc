package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// KindEmail is the outbox Kind of an email.
const KindEmail = "email"

// Enqueue records m in the outbox inside tx, in the same transaction as
// the change that causes it. key names the effect ("invite:<meeting>:<seq>:
// <address>"); queuing the same key again answers store.ErrConflict.
func Enqueue(ctx context.Context, tx store.Tx, orgID, key string, m Message, now time.Time) (string, error) {
	if m.MessageID == "" {
		return "", fmt.Errorf("%w %s: no Message-ID", ErrInvalid, key)
	}
	if _, err := Compose(m); err != nil {
		return "", err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("mail: enqueue %s: %w", key, err)
	}
	o := &store.OutboxMessage{OrgID: orgID, Kind: KindEmail, Key: key, Payload: payload, NextTry: now}
	if err := tx.AddOutbox(ctx, o); err != nil {
		return "", fmt.Errorf("mail: enqueue %s: %w", key, err)
	}
	return o.ID, nil
}

// DelivererConfig tunes delivery.
type DelivererConfig struct {
	// Lease is how long a claimed message is held before another attempt
	// may take it; longer than a send can take. Default 5m.
	Lease time.Duration
	// Backoff is the wait after the first temporary failure, doubled each
	// attempt up to MaxBackoff. Defaults 1m and 1h.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts before a message is parked as failed. Default 10.
	MaxAttempts int
	// Batch is how many due messages one DeliverDue takes. Default 50.
	Batch int
}

// Deliverer sends due outbox emails.
type Deliverer struct {
	st    store.Store
	send  Sender
	cfg   DelivererConfig
	now   func() time.Time
	log   *slog.Logger
	crash func(step string) error // tests: simulate the process dying
}

// NewDeliverer answers a Deliverer; now is the clock (time.Now if nil).
func NewDeliverer(st store.Store, s Sender, cfg DelivererConfig, now func() time.Time, log *slog.Logger) *Deliverer {
	if cfg.Lease == 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Minute
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Batch == 0 {
		cfg.Batch = 50
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{st: st, send: s, cfg: cfg, now: now, log: log}
}

// DeliverDue sends every due email once; it answers how many were sent.
// A failure of one message is recorded on it and does not stop the rest.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	var due []store.OutboxMessage
	err := d.st.Read(ctx, func(tx store.Tx) error {
		var err error
		due, err = tx.ListOutboxDue(ctx, d.now(), d.cfg.Batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mail: list due: %w", err)
	}
	sent := 0
	for _, o := range due {
		if o.Kind != KindEmail {
			continue
		}
		ok, err := d.deliver(ctx, o.ID)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (d *Deliverer) step(name string) error {
	if d.crash != nil {
		return d.crash(name)
	}
	return nil
}

// deliver claims, sends and records one message. An error answered is the
// store's (or a simulated crash): the message stays claimed and is taken
// again when the lease ends.
func (d *Deliverer) deliver(ctx context.Context, id string) (bool, error) {
	if err := d.step("claim"); err != nil {
		return false, err
	}
	var o store.OutboxMessage
	claimed := false
	err := d.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		o, err = tx.GetOutbox(ctx, id)
		if err != nil {
			return err
		}
		now := d.now()
		if o.Status != store.OutboxPending || o.NextTry.After(now) {
			claimed = false
			return nil // another node holds it, or it is done
		}
		o.Attempts++
		o.NextTry = now.Add(d.cfg.Lease)
		claimed = true
		return tx.UpdateOutbox(ctx, o)
	})
	if err != nil || !claimed {
		if err != nil {
			err = fmt.Errorf("mail: claim %s: %w", id, err)
		}
		return false, err
	}
	var m Message
	if err := json.Unmarshal(o.Payload, &m); err != nil {
		return false, d.park(ctx, o, fmt.Sprintf("payload is not an email: %v", err))
	}
	data, err := Compose(m)
	if err != nil {
		return false, d.park(ctx, o, err.Error())
	}
	if err := d.step("send"); err != nil {
		return false, err
	}
	from := m.From
	if a, err := mail.ParseAddress(m.From); err == nil {
		from = a.Address
	}
	to := make([]string, 0, len(m.To))
	for _, r := range m.To {
		if a, err := mail.ParseAddress(r); err == nil {
			to = append(to, a.Address)
		}
	}
	sendErr := d.send.Send(ctx, from, to, data)
	if err := d.step("record"); err != nil {
		return false, err
	}
	var perm *PermanentError
	switch {
	case sendErr == nil:
		o.Status, o.Sent, o.LastError = store.OutboxSent, d.now(), ""
		d.log.Info("mail sent", slog.String("outbox", o.ID), slog.String("message_id", m.MessageID), slog.Int("recipients", len(to)))
	case errors.As(sendErr, &perm):
		return false, d.park(ctx, o, sendErr.Error())
	case o.Attempts >= d.cfg.MaxAttempts:
		return false, d.park(ctx, o, fmt.Sprintf("gave up after %d attempts: %v", o.Attempts, sendErr))
	default:
		wait := d.cfg.Backoff << (o.Attempts - 1)
		if wait > d.cfg.MaxBackoff || wait <= 0 {
			wait = d.cfg.MaxBackoff
		}
		o.NextTry, o.LastError = d.now().Add(wait), sendErr.Error()
		d.log.Warn("mail send failed, will retry", slog.String("outbox", o.ID), slog.Int("attempt", o.Attempts),
			slog.Duration("retry_in", wait), slog.String("error", sendErr.Error()))
	}
	if err := d.st.InTx(ctx, func(tx store.Tx) error { return tx.UpdateOutbox(ctx, o) }); err != nil {
		return false, fmt.Errorf("mail: record %s: %w", o.ID, err)
	}
	return sendErr == nil, nil
}

// park marks o failed with reason, kept for review.
func (d *Deliverer) park(ctx context.Context, o store.OutboxMessage, reason string) error {
	o.Status, o.LastError = store.OutboxFailed, reason
	d.log.Error("mail parked", slog.String("outbox", o.ID), slog.String("key", o.Key), slog.String("error", reason))
	if err := d.st.InTx(ctx, func(tx store.Tx) error { return tx.UpdateOutbox(ctx, o) }); err != nil {
		return fmt.Errorf("mail: park %s: %w", o.ID, err)
	}
	return nil
}
