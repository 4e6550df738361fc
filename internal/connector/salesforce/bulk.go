package salesforce

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
)

// This file is the first listing of a large object as a Bulk API 2.0
// query job (jobs/query): the job is created, polled with backoff until
// JobComplete, and its CSV results are read a page at a time, following
// Sforce-Locator. Bulk queries take no ORDER BY, so the snapshot is in no
// order; the listing that follows starts from the job's createdDate (less
// the usual overlap), which every change the snapshot may have missed
// comes after.

// bulkJobInfo is the part of a query job's info the connector reads.
type bulkJobInfo struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	CreatedDate  string `json:"createdDate"`
	ErrorMessage string `json:"errorMessage"`
	Processed    int64  `json:"numberRecordsProcessed"`
}

// bulkPollMax caps the wait between two job-status polls.
const bulkPollMax = 30 * time.Second

// keepColumnTypes records describe's field types of object, for reading
// CSV cells as the JSON values a REST query answers.
func (c *Connector) keepColumnTypes(object string, types map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.colTypes == nil {
		c.colTypes = map[string]map[string]string{}
	}
	c.colTypes[object] = types
}

// columnTypes returns object's field types, calling describe once.
func (c *Connector) columnTypes(ctx context.Context, object string) (map[string]string, error) {
	c.mu.Lock()
	types, ok := c.colTypes[object]
	c.mu.Unlock()
	if ok {
		return types, nil
	}
	var d describeResponse
	if err := c.do(ctx, http.MethodGet, "/sobjects/"+url.PathEscape(object)+"/describe", nil, &d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	types = make(map[string]string, len(d.Fields))
	for _, f := range d.Fields {
		types[f.Name] = f.Type
	}
	c.keepColumnTypes(object, types)
	return types, nil
}

// bulkWorthy counts object's records (SELECT COUNT()) and tells whether a
// first listing should run as a Bulk job: more than Config.BulkThreshold.
func (c *Connector) bulkWorthy(ctx context.Context, sel selection) (bool, int64, error) {
	if c.cfg.BulkThreshold < 0 {
		return false, 0, nil
	}
	var q queryResponse
	if err := c.do(ctx, http.MethodGet, "/query?q="+url.QueryEscape("SELECT COUNT() FROM "+sel.name+sel.clause()), nil, &q); err != nil {
		return false, 0, fmt.Errorf("salesforce: changes %s: count: %w", sel.name, err)
	}
	return q.TotalSize > int64(c.cfg.BulkThreshold), q.TotalSize, nil
}

// bulkStart creates the query job of a first listing, waits for it and
// answers its first results page.
func (c *Connector) bulkStart(ctx context.Context, sel selection, total int64) (connector.Page, error) {
	object := sel.name
	fields, err := c.Fields(ctx, object)
	if err != nil {
		return connector.Page{}, err
	}
	body := map[string]string{"operation": "query", "query": "SELECT " + strings.Join(fields, ", ") + " FROM " + object + sel.clause(),
		"contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
	var job bulkJobInfo
	if err := c.do(ctx, http.MethodPost, "/jobs/query", body, &job); err != nil {
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk query job: %w", object, err)
	}
	created := parseTime(job.CreatedDate)
	if job.ID == "" || created.IsZero() {
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk query job: malformed answer (id %q, createdDate %q)", object, job.ID, job.CreatedDate)
	}
	log := c.log.With(slog.String("object", object), slog.String("job", job.ID))
	log.LogAttrs(ctx, slog.LevelInfo, "salesforce: bulk query job created", slog.Int64("records", total))
	wait := 500 * time.Millisecond
	for polls := 1; job.State != "JobComplete"; polls++ {
		switch job.State {
		case "Failed", "Aborted":
			log.LogAttrs(ctx, slog.LevelWarn, "salesforce: bulk query job ended", slog.String("state", job.State),
				slog.String("error", job.ErrorMessage))
			return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk query job %s %s: %s", object, job.ID, job.State, job.ErrorMessage)
		}
		if polls > 1 {
			log.LogAttrs(ctx, slog.LevelDebug, "salesforce: bulk query job not done", slog.String("state", job.State),
				slog.Duration("wait", wait))
			if err := c.cfg.Sleep(ctx, wait); err != nil {
				return connector.Page{}, err
			}
			wait = min(wait*2, bulkPollMax)
		}
		if err := c.do(ctx, http.MethodGet, "/jobs/query/"+url.PathEscape(job.ID), nil, &job); err != nil {
			return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk query job %s: %w", object, job.ID, err)
		}
	}
	log.LogAttrs(ctx, slog.LevelInfo, "salesforce: bulk query job complete", slog.Int64("processed", job.Processed))
	page, err := c.bulkPage(ctx, object, cursor{Since: created.UTC().Format(time.RFC3339), Full: true, Job: job.ID})
	page.Total = max(total, job.Processed)
	return page, err
}

// bulkPage reads one results page of the job in cu. A job the org no
// longer holds (its results expire) restarts the first listing.
func (c *Connector) bulkPage(ctx context.Context, object string, cu cursor) (connector.Page, error) {
	path := "/jobs/query/" + url.PathEscape(cu.Job) + "/results?maxRecords=" + strconv.Itoa(c.cfg.BulkPageSize)
	if cu.Locator != "" {
		path += "&locator=" + url.QueryEscape(cu.Locator)
	}
	var ans rawAnswer
	if err := c.do(ctx, http.MethodGet, path, nil, &ans); err != nil {
		if isCode(err, "NOT_FOUND", "INVALIDLOCATOR", "INVALIDJOBSTATE") {
			c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce: bulk results gone, listing again", slog.String("object", object),
				slog.String("job", cu.Job), slog.String("error", err.Error()))
			return c.Changes(ctx, object, "")
		}
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk results of %s: %w", object, cu.Job, err)
	}
	types, err := c.columnTypes(ctx, object)
	if err != nil {
		return connector.Page{}, err
	}
	rows, err := parseBulkCSV(bytes.NewReader(ans.body), types)
	if err != nil {
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk results of %s: %w", object, cu.Job, err)
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(rows))}
	for _, raw := range rows {
		page.Records = append(page.Records, c.record(raw))
	}
	next := cursor{Since: cu.Since}
	if loc := ans.header.Get("Sforce-Locator"); loc != "" && loc != "null" {
		next.Full, next.Job, next.Locator = true, cu.Job, loc
		page.More = true
	}
	if n, err := strconv.ParseInt(ans.header.Get("Sforce-NumberOfRecords"), 10, 64); err == nil && n != int64(len(rows)) {
		return connector.Page{}, fmt.Errorf("salesforce: changes %s: bulk results of %s: %d rows, Sforce-NumberOfRecords says %d", object, cu.Job, len(rows), n)
	}
	b, _ := json.Marshal(next)
	page.Cursor = string(b)
	return page, nil
}

// parseBulkCSV reads a Bulk API CSV page (a header row of field names,
// then one row a record) into records valued as a REST query's JSON
// decodes: an empty cell is null, booleans are bool, numbers float64,
// datetimes in Salesforce's JSON form; types are describe's, by field.
func parseBulkCSV(r io.Reader, types map[string]string) ([]map[string]any, error) {
	rd := csv.NewReader(r)
	rd.ReuseRecord = true
	header, err := rd.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("CSV without a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	header = append([]string(nil), header...)
	kinds := make([]string, len(header))
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("CSV header: column %d has no name", i+1)
		}
		kinds[i] = types[h]
	}
	var out []map[string]any
	for {
		row, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		rec := make(map[string]any, len(header))
		for i, cell := range row {
			v, err := csvCell(kinds[i], cell)
			if err != nil {
				line, _ := rd.FieldPos(i)
				return nil, fmt.Errorf("CSV line %d, %s: %w", line, header[i], err)
			}
			rec[header[i]] = v
		}
		out = append(out, rec)
	}
}

// csvCell converts one cell of a field of describe type kind.
func csvCell(kind, cell string) (any, error) {
	if cell == "" {
		return nil, nil
	}
	switch kind {
	case "boolean":
		b, err := strconv.ParseBool(cell)
		if err != nil {
			return nil, fmt.Errorf("%q is no boolean", cell)
		}
		return b, nil
	case "int", "double", "currency", "percent", "long":
		f, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is no number", cell)
		}
		return f, nil
	case "datetime":
		t, err := time.Parse(time.RFC3339Nano, cell)
		if err != nil {
			return nil, fmt.Errorf("%q is no datetime", cell)
		}
		return t.UTC().Format(dateTimeLayout), nil
	}
	return cell, nil
}
