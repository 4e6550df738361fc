package salesforce

import (
	"fmt"
	"strings"
	"time"
)

// tokenResponse is the OAuth 2.0 token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	InstanceURL  string `json:"instance_url"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// oauthError is the token endpoint's error answer.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// APIError is one entry of a REST error answer
// ([{"message","errorCode","fields"}]) or of a Collections result
// ({"statusCode","message","fields"}).
type APIError struct {
	// Status is the HTTP status of the answer; 0 inside a Collections result.
	Status     int      `json:"-"`
	ErrorCode  string   `json:"errorCode"`
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// Code is the Salesforce error code, whichever name it came under.
func (e *APIError) Code() string {
	if e.ErrorCode != "" {
		return e.ErrorCode
	}
	return e.StatusCode
}

func (e *APIError) Error() string {
	s := e.Code()
	if e.Status != 0 {
		s = fmt.Sprintf("%d %s", e.Status, s)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if len(e.Fields) > 0 {
		s += " [" + strings.Join(e.Fields, ", ") + "]"
	}
	return s
}

// queryResponse is one page of a SOQL query.
type queryResponse struct {
	TotalSize      int64            `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// describeResponse is the part of sobjects/{o}/describe the connector reads.
type describeResponse struct {
	Name   string          `json:"name"`
	Fields []describeField `json:"fields"`
}

type describeField struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	ExternalID bool   `json:"externalId"`
	Createable bool   `json:"createable"`
	Updateable bool   `json:"updateable"`
}

// deletedResponse is getDeleted's answer.
type deletedResponse struct {
	DeletedRecords []struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	} `json:"deletedRecords"`
	EarliestDateAvailable string `json:"earliestDateAvailable"`
	LatestDateCovered     string `json:"latestDateCovered"`
}

// limitsResponse is the part of /limits the connector reads.
type limitsResponse struct {
	DailyAPIRequests struct {
		Max       int `json:"Max"`
		Remaining int `json:"Remaining"`
	} `json:"DailyApiRequests"`
}

// collectionRequest is an sObject Collections create, update or upsert.
type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// saveResult is one record's result in a Collections answer.
type saveResult struct {
	ID      string     `json:"id"`
	Success bool       `json:"success"`
	Created bool       `json:"created"`
	Errors  []APIError `json:"errors"`
}

// dateTimeLayout is how Salesforce writes datetimes in JSON.
const dateTimeLayout = "2006-01-02T15:04:05.000-0700"

// parseTime reads a Salesforce datetime (…000+0000) or RFC 3339.
func parseTime(v any) time.Time {
	s, _ := v.(string)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(dateTimeLayout, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
