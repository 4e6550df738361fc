package memstore

import (
	"encoding/json"

	"github.com/crmsync/crmsync/internal/store"
)

// data is everything a Store holds. Maps are keyed by id unless said.
type data struct {
	seq int64 // the one insertion counter, like the SQL stores' seq columns

	orgs        map[string]store.Org
	users       map[string]store.User
	userByEmail map[string]string // key(org, email) -> id
	tokens      map[string]store.Token
	tokenByHash map[string]string
	conns       map[string]store.Connection
	connBySys   map[string]string // key(org, system, user) -> id
	streams     map[string]store.Stream
	runs        map[string]runEntry
	streamRuns  map[string]*[]string // stream -> run ids in creation order

	records    map[string]map[string]*recTable       // conn -> object -> table
	pending    map[string]*pendingQueue              // by stream
	links      map[string]*linkSet                   // by stream
	cursors    map[string]store.Cursor               // key(stream, side)
	tombstones map[string]map[string]store.Tombstone // stream -> key(side, id)

	conflicts   []store.Conflict
	conflictIDs map[string]struct{}
	quarantine  map[string]store.Quarantine
	quarOrder   []string
	audit       []store.Audit
	auditIDs    map[string]struct{}
	outbox      map[string]outboxEntry
	outboxByKey map[string]string
	outboxDue   map[string]struct{}        // ids of pending messages
	settings    map[string]json.RawMessage // key(org, user, name)

	hubTasks    map[string]store.HubTask
	hubTaskKeys map[string]string          // key(org, user, Key) -> id, live tasks only
	hubTaskSeq  int64                      // the last seq drawn, like MAX(seq) in the SQL stores
	hubTaskFeed map[string]*[]hubFeedEntry // key(org, user) -> writes by seq
}

// hubFeedEntry is one write of a hub task; an entry whose seq is no longer
// the task's was superseded by a later write.
type hubFeedEntry struct {
	seq int64
	id  string
}

type runEntry struct {
	run store.Run
	seq int64
}

type outboxEntry struct {
	m   store.OutboxMessage
	seq int64
}

func (d *data) init() {
	*d = data{
		orgs:        map[string]store.Org{},
		users:       map[string]store.User{},
		userByEmail: map[string]string{},
		tokens:      map[string]store.Token{},
		tokenByHash: map[string]string{},
		conns:       map[string]store.Connection{},
		connBySys:   map[string]string{},
		streams:     map[string]store.Stream{},
		runs:        map[string]runEntry{},
		streamRuns:  map[string]*[]string{},
		records:     map[string]map[string]*recTable{},
		pending:     map[string]*pendingQueue{},
		links:       map[string]*linkSet{},
		cursors:     map[string]store.Cursor{},
		tombstones:  map[string]map[string]store.Tombstone{},
		conflictIDs: map[string]struct{}{},
		quarantine:  map[string]store.Quarantine{},
		auditIDs:    map[string]struct{}{},
		outbox:      map[string]outboxEntry{},
		outboxByKey: map[string]string{},
		outboxDue:   map[string]struct{}{},
		settings:    map[string]json.RawMessage{},
		hubTasks:    map[string]store.HubTask{},
		hubTaskKeys: map[string]string{},
		hubTaskFeed: map[string]*[]hubFeedEntry{},
	}
}

// nextSeq draws the next insertion number, logging the undo.
func (t *tx) nextSeq() int64 {
	t.d.seq++
	t.log(func() { t.d.seq-- })
	return t.d.seq
}
