package salesforce

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is Bulk API 2.0: query jobs (/jobs/query) and ingest jobs
// (/jobs/ingest). A query job snapshots its result when it is created; an
// ingest job runs its rows when its upload is marked complete. Either then
// answers InProgress to Config.BulkPolls status requests before reporting
// JobComplete, so that clients exercise their polling.

// Bulk job states.
const (
	jobOpen           = "Open"
	jobUploadComplete = "UploadComplete"
	jobInProgress     = "InProgress"
	jobComplete       = "JobComplete"
	jobAborted        = "Aborted"
	jobFailed         = "Failed"
)

// bulkJob is a query or ingest job.
type bulkJob struct {
	id              string
	kind            string // "query" or "ingest"
	operation       string
	object          string
	createdBy       string
	created         time.Time
	modstamp        time.Time
	state           string
	polls           int
	lineEnding      string
	delimiter       string
	apiVersion      string
	externalIDField string
	errorMessage    string

	// query jobs
	obj     *objectDef
	cols    []column
	records []*record

	// ingest jobs
	upload      bytes.Buffer
	header      []string
	successRows [][]string
	failedRows  [][]string
	unprocessed [][]string
	processed   int
	failed      int
}

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "SEMICOLON": ';', "PIPE": '|', "CARET": '^', "BACKQUOTE": '`'}

// info renders the job as the API reports it; full adds the counters GET
// reports.
func (j *bulkJob) info(full bool) map[string]any {
	m := map[string]any{
		"id": j.id, "operation": j.operation, "object": j.object, "createdById": j.createdBy,
		"createdDate": j.created.Format(jsonDateTime), "systemModstamp": j.modstamp.Format(jsonDateTime),
		"state": j.state, "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": json.Number(j.apiVersion),
		"lineEnding": j.lineEnding, "columnDelimiter": j.delimiter,
	}
	if j.kind == "ingest" {
		m["contentUrl"] = "services/data/v" + j.apiVersion + "/jobs/ingest/" + j.id + "/batches"
		if j.externalIDField != "" {
			m["externalIdFieldName"] = j.externalIDField
		}
	}
	if full {
		m["retries"] = 0
		m["totalProcessingTime"] = 0
		if j.kind == "query" {
			m["jobType"] = "V2Query"
			m["isPkChunkingSupported"] = true
			if j.state == jobComplete {
				m["numberRecordsProcessed"] = len(j.records)
			} else {
				m["numberRecordsProcessed"] = 0
			}
		} else {
			m["jobType"] = "V2Ingest"
			m["numberRecordsProcessed"] = 0
			m["numberRecordsFailed"] = 0
			if j.state == jobComplete || j.state == jobFailed {
				m["numberRecordsProcessed"] = j.processed
				m["numberRecordsFailed"] = j.failed
			}
			m["apiActiveProcessingTime"] = 0
			m["apexProcessingTime"] = 0
		}
		if j.errorMessage != "" {
			m["errorMessage"] = j.errorMessage
		}
	}
	return m
}

// advance moves a started job towards JobComplete by one status poll.
func (j *bulkJob) advance() {
	if j.state != jobUploadComplete && j.state != jobInProgress {
		return
	}
	if j.polls > 0 {
		j.polls--
		j.state = jobInProgress
		return
	}
	j.state = jobComplete
	if j.kind == "ingest" && j.errorMessage != "" {
		j.state = jobFailed
	}
}

func terminal(state string) bool {
	return state == jobComplete || state == jobAborted || state == jobFailed
}

// serveJobs routes jobs/query/... and jobs/ingest/...
func (s *Server) serveJobs(c *call) {
	segs := c.segs
	if len(segs) < 2 || (segs[1] != "query" && segs[1] != "ingest") {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	kind := segs[1]
	if len(segs) == 2 {
		if !allow(c, http.MethodGet, http.MethodPost) {
			return
		}
		if c.r.Method == http.MethodGet {
			s.listJobs(c, kind)
			return
		}
		if kind == "query" {
			s.createQueryJob(c)
		} else {
			s.createIngestJob(c)
		}
		return
	}
	s.mu.Lock()
	j, ok := s.jobs[segs[2]]
	s.mu.Unlock()
	if !ok || j.kind != kind {
		writeErrors(c.w, c.r, errorf(404, "NOT_FOUND", "The requested resource does not exist"))
		return
	}
	if len(segs) == 3 {
		if !allow(c, http.MethodGet, http.MethodPatch, http.MethodDelete) {
			return
		}
		switch c.r.Method {
		case http.MethodPatch:
			s.patchJob(c, j)
		case http.MethodDelete:
			s.mu.Lock()
			state := j.state
			if terminal(state) || state == jobUploadComplete {
				delete(s.jobs, j.id)
				s.jobOrder = slices.DeleteFunc(s.jobOrder, func(id string) bool { return id == j.id })
			}
			s.mu.Unlock()
			if !terminal(state) && state != jobUploadComplete {
				writeErrors(c.w, c.r, errorf(400, "INVALIDJOBSTATE", "Job %s is in state %s and can't be deleted", j.id, state))
				return
			}
			c.w.WriteHeader(http.StatusNoContent)
		default:
			s.mu.Lock()
			j.advance()
			info := j.info(true)
			s.mu.Unlock()
			writeJSON(c.w, c.r, 200, info)
		}
		return
	}
	if len(segs) != 4 {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	switch {
	case kind == "query" && segs[3] == "results":
		if allow(c, http.MethodGet) {
			s.queryResults(c, j)
		}
	case kind == "ingest" && segs[3] == "batches":
		if allow(c, http.MethodPut) {
			s.uploadBatch(c, j)
		}
	case kind == "ingest" && (segs[3] == "successfulResults" || segs[3] == "failedResults" || segs[3] == "unprocessedrecords"):
		if allow(c, http.MethodGet) {
			s.ingestResults(c, j, segs[3])
		}
	default:
		writeErrors(c.w, c.r, errNotFound())
	}
}

// listJobs answers GET jobs/query and jobs/ingest.
func (s *Server) listJobs(c *call, kind string) {
	s.mu.Lock()
	records := []map[string]any{}
	for _, id := range s.jobOrder {
		if j := s.jobs[id]; j.kind == kind {
			records = append(records, j.info(false))
		}
	}
	s.mu.Unlock()
	writeJSON(c.w, c.r, 200, map[string]any{"done": true, "records": records, "nextRecordsUrl": nil})
}

// jobOptions reads the CSV options a job request may set.
func jobOptions(lineEnding, delimiter, contentType string) (string, string, *apiError) {
	if lineEnding == "" {
		lineEnding = "LF"
	}
	if delimiter == "" {
		delimiter = "COMMA"
	}
	if lineEnding != "LF" && lineEnding != "CRLF" {
		return "", "", errorf(400, "INVALIDJOB", "InvalidJob : Invalid line ending: %s", lineEnding)
	}
	if _, ok := delimiters[delimiter]; !ok {
		return "", "", errorf(400, "INVALIDJOB", "InvalidJob : Invalid column delimiter: %s", delimiter)
	}
	if contentType != "" && contentType != "CSV" {
		return "", "", errorf(400, "INVALIDJOB", "InvalidJob : Invalid content type: %s", contentType)
	}
	return lineEnding, delimiter, nil
}

// newJob registers a job under a fresh 750 id.
func (s *Server) newJob(j *bulkJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobN++
	j.id = makeID("750", s.jobN)
	s.jobs[j.id] = j
	s.jobOrder = append(s.jobOrder, j.id)
}

// createQueryJob answers POST jobs/query.
func (s *Server) createQueryJob(c *call) {
	var body struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		ColumnDelimiter string `json:"columnDelimiter"`
		LineEnding      string `json:"lineEnding"`
	}
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	if body.Operation != "query" && body.Operation != "queryAll" {
		writeErrors(c.w, c.r, errorf(400, "INVALIDJOB", "InvalidJob : Invalid operation: %s; use query or queryAll", body.Operation))
		return
	}
	lineEnding, delimiter, err := jobOptions(body.LineEnding, body.ColumnDelimiter, body.ContentType)
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	now := s.now()
	q, perr := parseSOQL(body.Query)
	st := c.st
	st.mu.RLock()
	var p *plan
	var serr *soqlError
	if perr == nil {
		p, serr = st.bind(q, now.Truncate(24*time.Hour))
	} else {
		serr = perr.(*soqlError)
	}
	if serr == nil && (p.count || p.aggr) {
		serr = &soqlError{code: "INVALIDJOB", pos: 0, msg: "Aggregate queries are not supported by Bulk API 2.0 query"}
	}
	if serr == nil && q.offset >= 0 {
		serr = &soqlError{code: "INVALIDJOB", pos: q.offsetPos, msg: "OFFSET is not supported by Bulk API 2.0 query"}
	}
	if serr != nil {
		st.mu.RUnlock()
		writeErrors(c.w, c.r, errorf(400, serr.code, "%s", serr.render(body.Query)))
		return
	}
	recs := st.run(p, body.Operation == "queryAll", now, s.cfg.DeletedRetention)
	st.mu.RUnlock()
	j := &bulkJob{kind: "query", operation: body.Operation, object: p.obj.Name, createdBy: c.user, created: now,
		modstamp: now, state: jobUploadComplete, polls: max(s.cfg.BulkPolls, 0), lineEnding: lineEnding,
		delimiter: delimiter, apiVersion: c.version, obj: p.obj, cols: p.cols, records: recs}
	s.newJob(j)
	s.mu.Lock()
	info := j.info(false)
	s.mu.Unlock()
	writeJSON(c.w, c.r, 200, info)
}

// csvWriter writes Bulk API CSV: every non-null value quoted, nulls empty.
type csvWriter struct {
	b     bytes.Buffer
	delim byte
	eol   string
}

func (w *csvWriter) row(cells []string, nulls []bool) {
	for i, v := range cells {
		if i > 0 {
			w.b.WriteByte(w.delim)
		}
		if nulls != nil && nulls[i] {
			continue
		}
		w.b.WriteByte('"')
		w.b.WriteString(strings.ReplaceAll(v, `"`, `""`))
		w.b.WriteByte('"')
	}
	w.b.WriteString(w.eol)
}

func newCSVWriter(j *bulkJob) *csvWriter {
	eol := "\n"
	if j.lineEnding == "CRLF" {
		eol = "\r\n"
	}
	return &csvWriter{delim: byte(delimiters[j.delimiter]), eol: eol}
}

// queryResults answers GET jobs/query/{id}/results?locator=&maxRecords=.
func (s *Server) queryResults(c *call, j *bulkJob) {
	s.mu.Lock()
	state := j.state
	s.mu.Unlock()
	if state != jobComplete {
		writeErrors(c.w, c.r, errorf(400, "INVALIDJOBSTATE", "Job %s is in state %s; results are available once it is JobComplete", j.id, state))
		return
	}
	if c.version != j.apiVersion {
		writeErrors(c.w, c.r, errorf(409, "INVALIDJOBSTATE", "Results must be fetched with the API version the job was created with, %s", j.apiVersion))
		return
	}
	q := c.r.URL.Query()
	offset := 0
	if loc := q.Get("locator"); loc != "" && loc != "null" {
		raw, err := base64.RawStdEncoding.DecodeString(loc)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 || n > len(j.records) {
			writeErrors(c.w, c.r, errorf(400, "INVALIDLOCATOR", "Invalid locator: %s", loc))
			return
		}
		offset = n
	}
	size := s.cfg.BulkPageSize
	if m := q.Get("maxRecords"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			writeErrors(c.w, c.r, errorf(400, "INVALID_QUERY_PARAMETER_VALUE", "maxRecords must be a positive integer: %s", m))
			return
		}
		size = n
	}
	end := min(len(j.records), offset+size)
	w := newCSVWriter(j)
	header := columnsCSV(j.obj, j.cols)
	w.row(header, nil)
	cells := make([]string, len(header))
	nulls := make([]bool, len(header))
	c.st.mu.RLock()
	for _, r := range j.records[offset:end] {
		c.st.valuesCSV(j.obj, r, j.cols, cells, nulls)
		w.row(cells, nulls)
	}
	c.st.mu.RUnlock()
	next := "null"
	if end < len(j.records) {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	c.w.Header().Set("Sforce-Locator", next)
	c.w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	writeBody(c.w, c.r, 200, "text/csv", w.b.Bytes())
}

// createIngestJob answers POST jobs/ingest.
func (s *Server) createIngestJob(c *call) {
	var body struct {
		Object              string `json:"object"`
		Operation           string `json:"operation"`
		ExternalIDFieldName string `json:"externalIdFieldName"`
		ContentType         string `json:"contentType"`
		ColumnDelimiter     string `json:"columnDelimiter"`
		LineEnding          string `json:"lineEnding"`
		AssignmentRuleID    string `json:"assignmentRuleId"`
	}
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	st := c.st
	st.mu.RLock()
	t, ok := st.table(body.Object)
	var ext *Field
	if ok && body.ExternalIDFieldName != "" {
		ext, _, _ = t.obj.field(body.ExternalIDFieldName)
	}
	st.mu.RUnlock()
	if !ok {
		writeErrors(c.w, c.r, errorf(400, "INVALIDENTITY", "InvalidEntity : Entity '%s' is not supported by the Bulk API.", body.Object))
		return
	}
	switch body.Operation {
	case "insert", "update", "delete", "hardDelete":
	case "upsert":
		if ext == nil || !(ext.ExternalID || ext.Type == TypeID) {
			writeErrors(c.w, c.r, errorf(400, "INVALIDJOB", "InvalidJob : External ID field %q is not an external id of %s", body.ExternalIDFieldName, t.obj.Name))
			return
		}
	default:
		writeErrors(c.w, c.r, errorf(400, "INVALIDJOB", "InvalidJob : Invalid operation: %s", body.Operation))
		return
	}
	lineEnding, delimiter, err := jobOptions(body.LineEnding, body.ColumnDelimiter, body.ContentType)
	if err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	now := s.now()
	j := &bulkJob{kind: "ingest", operation: body.Operation, object: t.obj.Name, createdBy: c.user, created: now,
		modstamp: now, state: jobOpen, lineEnding: lineEnding, delimiter: delimiter, apiVersion: c.version}
	if ext != nil && body.Operation == "upsert" {
		j.externalIDField = ext.Name
	}
	s.newJob(j)
	s.mu.Lock()
	info := j.info(false)
	s.mu.Unlock()
	writeJSON(c.w, c.r, 200, info)
}

// uploadBatch answers PUT jobs/ingest/{id}/batches: CSV data for an open
// job.
func (s *Server) uploadBatch(c *call, j *bulkJob) {
	data, err := io.ReadAll(io.LimitReader(c.r.Body, 150<<20))
	if err != nil {
		writeErrors(c.w, c.r, errorf(400, "INVALIDBATCH", "could not read the upload: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.state != jobOpen {
		writeErrors(c.w, c.r, errorf(409, "INVALIDJOBSTATE", "Job %s is in state %s; data can be uploaded to Open jobs only", j.id, j.state))
		return
	}
	if j.upload.Len() > 0 && len(data) > 0 {
		// A later upload repeats the header row: keep only its data rows.
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	j.upload.Write(data)
	c.w.WriteHeader(http.StatusCreated)
}

// patchJob answers PATCH jobs/{kind}/{id}: UploadComplete (ingest) or
// Aborted.
func (s *Server) patchJob(c *call, j *bulkJob) {
	var body struct {
		State string `json:"state"`
	}
	if err := readJSON(c.r, &body); err != nil {
		writeErrors(c.w, c.r, err)
		return
	}
	now := s.now()
	s.mu.Lock()
	state := j.state
	s.mu.Unlock()
	switch {
	case body.State == jobAborted && !terminal(state):
		s.mu.Lock()
		j.state, j.modstamp = jobAborted, now
		s.mu.Unlock()
	case body.State == jobUploadComplete && j.kind == "ingest" && state == jobOpen:
		s.runIngest(c, j, now)
	default:
		writeErrors(c.w, c.r, errorf(400, "INVALIDJOBSTATE", "Job %s can't change from %s to %s", j.id, state, body.State))
		return
	}
	s.mu.Lock()
	info := j.info(false)
	s.mu.Unlock()
	writeJSON(c.w, c.r, 200, info)
}

// runIngest applies an ingest job's rows to the org.
func (s *Server) runIngest(c *call, j *bulkJob, now time.Time) {
	s.mu.Lock()
	data := slices.Clone(j.upload.Bytes())
	s.mu.Unlock()
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comma = delimiters[j.delimiter]
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	var header []string
	var success, failed, unprocessed [][]string
	processed, nfailed := 0, 0
	errMsg := ""
	st := c.st
	st.mu.Lock()
	t, _ := st.table(j.object)
	switch {
	case err != nil:
		errMsg = "InvalidBatch : Failed to parse CSV: " + err.Error()
	case len(rows) == 0:
		errMsg = "InvalidBatch : The upload holds no header row"
	default:
		header = rows[0]
		for _, h := range header {
			if _, _, ok := t.obj.field(h); !ok {
				errMsg = "InvalidBatch : Field name not found : " + h
				break
			}
		}
	}
	if errMsg != "" && len(rows) > 1 {
		unprocessed = rows[1:]
	}
	w := writer{user: c.user, now: now}
	for _, row := range rows[min(1, len(rows)):] {
		if errMsg != "" {
			break
		}
		processed++
		id, created, rerr := s.ingestRow(st, t, j, header, row, w)
		if rerr != nil {
			nfailed++
			failed = append(failed, append([]string{id, rerr.code + ":" + rerr.message + ":" + strings.Join(rerr.fields, ",") + " --"}, row...))
			continue
		}
		success = append(success, append([]string{id, strconv.FormatBool(created)}, row...))
	}
	st.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	j.header, j.successRows, j.failedRows, j.unprocessed = header, success, failed, unprocessed
	j.processed, j.failed, j.errorMessage = processed, nfailed, errMsg
	j.state, j.modstamp, j.polls = jobUploadComplete, now, max(s.cfg.BulkPolls, 0)
}

// ingestRow applies one CSV row. An empty cell leaves a field as it is;
// #N/A sets it to null.
func (s *Server) ingestRow(st *store, t *table, j *bulkJob, header, row []string, w writer) (string, bool, *apiError) {
	body := map[string]any{}
	for i, h := range header {
		if i >= len(row) || row[i] == "" {
			continue
		}
		if row[i] == "#N/A" {
			body[h] = nil
			continue
		}
		body[h] = row[i]
	}
	rowID := func() string { s, _ := body["Id"].(string); n, _ := normalizeID(s); return n }
	if s.partialFailure() {
		return rowID(), false, lockRowError(rowID())
	}
	switch j.operation {
	case "delete", "hardDelete":
		id := rowID()
		if id == "" {
			return "", false, errorf(400, "MISSING_ARGUMENT", "Id not specified in a delete call")
		}
		return id, false, st.remove(t, id, w, nil)
	}
	in, err := resolve(t.obj, body)
	if err != nil {
		return rowID(), false, err
	}
	switch j.operation {
	case "insert":
		r, err := st.insert(t, in, w, nil)
		if err != nil {
			return "", false, err
		}
		return r.id, true, nil
	case "update":
		id := rowID()
		if id == "" {
			return "", false, errorf(400, "MISSING_ARGUMENT", "Id not specified in an update call")
		}
		in.id = ""
		r, err := st.update(t, id, in, w, nil)
		if err != nil {
			return id, false, err
		}
		return r.id, false, nil
	case "upsert":
		f, pos, _ := t.obj.field(j.externalIDField)
		var ids []string
		if f.Type == TypeID {
			if id := rowID(); id != "" {
				if r, ok := t.get(id); ok && !r.deleted {
					ids = []string{id}
				}
			}
			in.id = ""
		} else if v, ok := in.value(pos); ok && v != nil {
			ids = t.lookup(pos, v)
		} else {
			return "", false, fieldError("MISSING_ARGUMENT", f, "%s not specified", f.Name)
		}
		switch len(ids) {
		case 0:
			r, err := st.insert(t, in, w, nil)
			if err != nil {
				return "", false, err
			}
			return r.id, true, nil
		case 1:
			id := ids[0]
			r, err := st.update(t, id, in, w, nil)
			if err != nil {
				return id, false, err
			}
			return r.id, false, nil
		default:
			return "", false, fieldError("DUPLICATE_EXTERNAL_ID", f, "%s: more than one record found for external id field: %v", f.Name, ids)
		}
	}
	return "", false, errorf(400, "INVALIDJOB", "InvalidJob : Invalid operation: %s", j.operation)
}

// ingestResults answers GET jobs/ingest/{id}/successfulResults,
// failedResults and unprocessedrecords.
func (s *Server) ingestResults(c *call, j *bulkJob, which string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if which != "unprocessedrecords" && j.state != jobComplete && j.state != jobFailed {
		writeErrors(c.w, c.r, errorf(400, "INVALIDJOBSTATE", "Job %s is in state %s; results are available once it is JobComplete", j.id, j.state))
		return
	}
	w := newCSVWriter(j)
	var rows [][]string
	switch which {
	case "successfulResults":
		w.row(append([]string{"sf__Id", "sf__Created"}, j.header...), nil)
		rows = j.successRows
	case "failedResults":
		w.row(append([]string{"sf__Id", "sf__Error"}, j.header...), nil)
		rows = j.failedRows
	default:
		if j.header != nil {
			w.row(j.header, nil)
		}
		rows = j.unprocessed
	}
	for _, r := range rows {
		w.row(r, nil)
	}
	writeBody(c.w, c.r, 200, "text/csv", w.b.Bytes())
}
