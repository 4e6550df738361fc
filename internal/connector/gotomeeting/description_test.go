package gotomeeting

// This file is GoTo Meeting's published API description, reduced to the
// facts the fidelity test checks: for each operation the connector or the
// sandbox uses, its method, path, query parameters, request body schema and
// success answer's schema, with every property's JSON type.
//
// Source: the OpenAPI description "GoToMeeting" 1.0.0 (servers:
// https://api.citrixonline.com/G2M/rest) in the public repository
// APIs-guru/openapi-directory, file
// APIs/citrixonline.com/gotomeeting/1.0.0/openapi.yaml (commit
// b6771e3147a99cbecaf6d550a370d5d25935b0de), converted there from GoTo's
// own Swagger 2.0 file. That directory holds third-party descriptions under
// fair use, with no licence to redistribute them, so the file is not copied
// into the project: its facts are transcribed here by hand, names and types
// as the description has them (including its odd ones: meetingid in
// MeetingCreated, organizerkey in the attendee schemas, and the numbers
// HistoricalMeeting declares as strings).

// schema is the subset of OpenAPI 3.0 schema objects the description's
// operations use.
type schema struct {
	Type     string // "object", "array", "string", "integer", "boolean"
	Format   string // "date-time", "int32", "int64"
	Enum     []string
	Items    *schema
	Props    map[string]*schema
	Required []string
}

func str() *schema      { return &schema{Type: "string"} }
func dateTime() *schema { return &schema{Type: "string", Format: "date-time"} }
func i32() *schema      { return &schema{Type: "integer", Format: "int32"} }
func i64() *schema      { return &schema{Type: "integer", Format: "int64"} }
func boolean() *schema  { return &schema{Type: "boolean"} }
func arrayOf(s *schema) *schema {
	return &schema{Type: "array", Items: s}
}

// object is an object schema; every property listed in required must be
// present.
func object(props map[string]*schema, required ...string) *schema {
	return &schema{Type: "object", Props: props, Required: required}
}

// allRequired is an object schema whose every property is required, as
// most of the description's answer schemas are.
func allRequired(props map[string]*schema) *schema {
	req := make([]string, 0, len(props))
	for k := range props {
		req = append(req, k)
	}
	return object(props, req...)
}

// components/schemas of the description.
var (
	meetingTypeSchema   = &schema{Type: "string", Enum: []string{"immediate", "recurring", "scheduled"}}
	meetingStatusSchema = &schema{Type: "string", Enum: []string{"ACTIVE", "INACTIVE"}}

	meetingReqSchema = allRequired(map[string]*schema{ // MeetingReqCreate and MeetingReqUpdate
		"conferencecallinfo": str(), "endtime": dateTime(), "meetingtype": meetingTypeSchema,
		"passwordrequired": boolean(), "starttime": dateTime(), "subject": str(), "timezonekey": str(),
	})
	meetingCreatedSchema = allRequired(map[string]*schema{
		"conferenceCallInfo": str(), "joinURL": str(), "maxParticipants": i32(), "meetingid": i64(), "uniqueMeetingId": i64(),
	})
	meetingByIDSchema = allRequired(map[string]*schema{
		"conferenceCallInfo": str(), "createTime": dateTime(), "duration": i32(), "endTime": dateTime(),
		"maxParticipants": i32(), "meetingId": i64(), "meetingKey": i64(), "meetingType": meetingTypeSchema,
		"passwordRequired": boolean(), "startTime": dateTime(), "status": meetingStatusSchema, "subject": str(),
		"uniqueMeetingId": i64(),
	})
	startURLSchema          = object(map[string]*schema{"hostURL": str()}, "hostURL")
	historicalMeetingSchema = allRequired(map[string]*schema{
		"accountKey": str(), "conferenceCallInfo": str(), "duration": str(), "email": str(), "endTime": dateTime(),
		"firstName": str(), "lastName": str(), "locale": str(), "meetingId": str(), "meetingType": meetingTypeSchema,
		"numAttendees": str(), "organizerKey": str(), "sessionId": str(), "startTime": dateTime(), "subject": str(),
	})
	attendeeByMeetingSchema = allRequired(map[string]*schema{
		"attendeeEmail": str(), "attendeeName": str(), "conferenceCallInfo": str(), "duration": i32(), "email": str(),
		"endTime": dateTime(), "firstName": str(), "groupName": str(), "joinTime": dateTime(), "lastName": str(),
		"leaveTime": dateTime(), "meetingId": i64(), "meetingInstanceKey": i64(), "meetingType": meetingTypeSchema,
		"name": str(), "numAttendees": i32(), "organizerkey": i64(), "startTime": dateTime(), "subject": str(),
	})
	attendeeByOrganizerSchema = allRequired(map[string]*schema{
		"attendeeEmail": str(), "attendeeName": str(), "conferenceCallInfo": str(), "duration": i32(), "email": str(),
		"endTime": dateTime(), "firstName": str(), "groupName": str(), "joinTime": dateTime(), "lastName": str(),
		"leaveTime": dateTime(), "meetingId": i64(), "meetingInstanceKey": i64(), "meetingType": meetingTypeSchema,
		"name": str(), "newMeetingId": str(), "numAttendees": i32(), "organizerkey": i64(), "startTime": dateTime(),
		"subject": str(),
	})
	upcomingMeetingSchema = allRequired(map[string]*schema{
		"accountKey": str(), "conferenceCallInfo": str(), "email": str(), "endTime": dateTime(), "firstName": str(),
		"lastName": str(), "locale": str(), "meetingId": str(), "meetingType": meetingTypeSchema, "organizerKey": str(),
		"passwordRequired": boolean(), "startTime": dateTime(), "status": meetingStatusSchema, "subject": str(),
	})
)

// param is a query parameter.
type param struct {
	Name     string
	Required bool
	Schema   *schema
}

// operation is one path item's method. Path parameters ({meetingId},
// {organizerKey}) are integers (int64) in every operation; every operation
// takes the Authorization header.
type operation struct {
	Method, Path string
	Query        []param
	Body         *schema // nil: no request body
	// Success is the status of the success answer, and Answer its schema
	// (nil: no body).
	Success int
	Answer  *schema
	// Errors are the other statuses the description lists.
	Errors []int
}

var dateRangeParams = []param{{"startDate", true, dateTime()}, {"endDate", true, dateTime()}}

// description holds the operations of paths: in the description that the
// project uses.
var description = []operation{
	{Method: "GET", Path: "/historicalMeetings", Query: dateRangeParams, Success: 200, Answer: arrayOf(historicalMeetingSchema), Errors: []int{403, 404}},
	{Method: "POST", Path: "/meetings", Body: meetingReqSchema, Success: 201, Answer: arrayOf(meetingCreatedSchema), Errors: []int{400}},
	{Method: "DELETE", Path: "/meetings/{meetingId}", Success: 204, Errors: []int{400, 404}},
	{Method: "GET", Path: "/meetings/{meetingId}", Success: 200, Answer: arrayOf(meetingByIDSchema), Errors: []int{404}},
	{Method: "PUT", Path: "/meetings/{meetingId}", Body: meetingReqSchema, Success: 204, Errors: []int{400, 404}},
	{Method: "GET", Path: "/meetings/{meetingId}/attendees", Success: 200, Answer: arrayOf(attendeeByMeetingSchema), Errors: []int{404}},
	{Method: "GET", Path: "/meetings/{meetingId}/start", Success: 200, Answer: startURLSchema},
	{Method: "GET", Path: "/organizers/{organizerKey}/attendees", Query: dateRangeParams, Success: 200, Answer: arrayOf(attendeeByOrganizerSchema), Errors: []int{400, 404}},
	{Method: "GET", Path: "/organizers/{organizerKey}/historicalMeetings", Query: dateRangeParams, Success: 200, Answer: arrayOf(historicalMeetingSchema), Errors: []int{400, 403, 404}},
	{Method: "GET", Path: "/organizers/{organizerKey}/upcomingMeetings", Success: 200, Answer: arrayOf(upcomingMeetingSchema), Errors: []int{403, 404}},
	{Method: "GET", Path: "/upcomingMeetings", Success: 200, Answer: arrayOf(upcomingMeetingSchema), Errors: []int{403}},
}
