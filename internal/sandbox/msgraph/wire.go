package msgraph

import "time"

// This file holds the wire shapes, named as Graph v1.0 names them.

// Contact is a contact resource (microsoft.graph.contact, derived from
// outlookItem and entity). Graph writes unset strings as null and unset
// collections as [], as the sandbox does.
type Contact struct {
	ID                   string    `json:"id"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
	LastModifiedDateTime time.Time `json:"lastModifiedDateTime"`
	ChangeKey            string    `json:"changeKey"`
	Categories           []string  `json:"categories"`
	ParentFolderID       string    `json:"parentFolderId"`

	GivenName      *string          `json:"givenName"`
	MiddleName     *string          `json:"middleName"`
	Surname        *string          `json:"surname"`
	DisplayName    *string          `json:"displayName"`
	FileAs         *string          `json:"fileAs"`
	Initials       *string          `json:"initials"`
	NickName       *string          `json:"nickName"`
	Title          *string          `json:"title"`
	CompanyName    *string          `json:"companyName"`
	JobTitle       *string          `json:"jobTitle"`
	Department     *string          `json:"department"`
	OfficeLocation *string          `json:"officeLocation"`
	EmailAddresses []EmailAddress   `json:"emailAddresses"`
	BusinessPhones []string         `json:"businessPhones"`
	MobilePhone    *string          `json:"mobilePhone"`
	HomePhones     []string         `json:"homePhones"`
	ImAddresses    []string         `json:"imAddresses"`
	BusinessAddr   *PhysicalAddress `json:"businessAddress"`
	HomeAddress    *PhysicalAddress `json:"homeAddress"`
	OtherAddress   *PhysicalAddress `json:"otherAddress"`
	PersonalNotes  *string          `json:"personalNotes"`
	Birthday       *time.Time       `json:"birthday"`

	// SingleValueExtendedProperties is a navigation property: Graph
	// writes it only when $expand asks for it.
	SingleValueExtendedProperties []ExtendedProperty `json:"singleValueExtendedProperties,omitempty"`
}

// EmailAddress is microsoft.graph.emailAddress.
type EmailAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// PhysicalAddress is microsoft.graph.physicalAddress.
type PhysicalAddress struct {
	Street          string `json:"street"`
	City            string `json:"city"`
	State           string `json:"state"`
	PostalCode      string `json:"postalCode"`
	CountryOrRegion string `json:"countryOrRegion"`
}

// ExtendedProperty is microsoft.graph.singleValueLegacyExtendedProperty:
// an id such as "String {GUID} Name crmsyncKey" and its value.
type ExtendedProperty struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// ContactFolder is microsoft.graph.contactFolder.
type ContactFolder struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	ParentFolderID string `json:"parentFolderId"`
}

// Category is microsoft.graph.outlookCategory; Color is a categoryColor
// member: "none" or "preset0" … "preset24".
type Category struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Color       string `json:"color"`
}

// User is the part of microsoft.graph.user the directory listing gives.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
}

// removed is a delta row for a deleted contact.
type removed struct {
	ID      string        `json:"id"`
	Removed removedReason `json:"@removed"`
}

type removedReason struct {
	Reason string `json:"reason"`
}

// graphError is Graph's error body.
type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id,omitempty"`
}

// validColor reports whether c is a categoryColor member.
func validColor(c string) bool {
	if c == "none" {
		return true
	}
	for i := range 25 {
		if c == "preset"+itoa(i) {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}
