package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message is one invitation email as it is queued.
type Message struct {
	// MessageID is fixed when the message is queued (see NewMessageID) so
	// a resend after a crash is the same message.
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject"`
	Date      time.Time `json:"date"`
	Text      string    `json:"text"`
	HTML      string    `json:"html,omitempty"`
	// Calendar is the .ics, Method its iTIP method (REQUEST, CANCEL).
	Calendar []byte `json:"calendar,omitempty"`
	Method   string `json:"method,omitempty"`
}

// NewMessageID answers a fresh <id@domain> Message-ID.
func NewMessageID(domain string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	if domain == "" {
		domain = "crmsync"
	}
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// ErrInvalid is wrapped by Compose for a message it cannot write.
var ErrInvalid = errors.New("mail: invalid message")

// Compose writes m as RFC 5322 text with CRLF line ends.
func Compose(m Message) ([]byte, error) {
	if m.MessageID == "" || len(m.To) == 0 || m.From == "" {
		return nil, fmt.Errorf("%w %s: needs a Message-ID, a sender and a recipient", ErrInvalid, m.MessageID)
	}
	for _, a := range append([]string{m.From}, m.To...) {
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, fmt.Errorf("%w %s: address %q: %v", ErrInvalid, m.MessageID, a, err)
		}
	}
	if len(m.Calendar) > 0 && m.Method == "" {
		return nil, fmt.Errorf("%w %s: calendar without a method", ErrInvalid, m.MessageID)
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	hdr("Message-ID", m.MessageID)
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("From", m.From)
	hdr("To", strings.Join(m.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("MIME-Version", "1.0")

	mixed := multipart.NewWriter(&b)
	hdr("Content-Type", `multipart/mixed; boundary="`+mixed.Boundary()+`"`)
	b.WriteString("\r\n")

	var altBuf bytes.Buffer
	alt := multipart.NewWriter(&altBuf)
	if err := qpPart(alt, "text/plain; charset=UTF-8", m.Text); err != nil {
		return nil, err
	}
	if m.HTML != "" {
		if err := qpPart(alt, "text/html; charset=UTF-8", m.HTML); err != nil {
			return nil, err
		}
	}
	if len(m.Calendar) > 0 {
		if err := b64Part(alt, textproto.MIMEHeader{
			"Content-Type": {"text/calendar; method=" + m.Method + "; charset=UTF-8"},
		}, m.Calendar); err != nil {
			return nil, err
		}
	}
	if err := alt.Close(); err != nil {
		return nil, err
	}
	w, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + alt.Boundary() + `"`}})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(altBuf.Bytes()); err != nil {
		return nil, err
	}
	if len(m.Calendar) > 0 {
		if err := b64Part(mixed, textproto.MIMEHeader{
			"Content-Type":        {`application/ics; name="invite.ics"`},
			"Content-Disposition": {`attachment; filename="invite.ics"`},
		}, m.Calendar); err != nil {
			return nil, err
		}
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func qpPart(w *multipart.Writer, ctype, body string) error {
	p, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return fmt.Errorf("mail: part %s: %w", ctype, err)
	}
	q := quotedprintable.NewWriter(p)
	if _, err := q.Write([]byte(body)); err != nil {
		return fmt.Errorf("mail: part %s: %w", ctype, err)
	}
	return q.Close()
}

func b64Part(w *multipart.Writer, h textproto.MIMEHeader, body []byte) error {
	h.Set("Content-Transfer-Encoding", "base64")
	p, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("mail: part %s: %w", h.Get("Content-Type"), err)
	}
	enc := base64.StdEncoding.EncodeToString(body)
	for len(enc) > 76 {
		if _, err := p.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = p.Write([]byte(enc + "\r\n"))
	return err
}
