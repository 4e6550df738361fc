package msgraph

import (
	"encoding/json"
	"time"
)

// This file holds Graph v1.0's wire shapes, with Graph's JSON names.

// contact is the part of microsoft.graph.contact the connector reads and
// writes.
type contact struct {
	ID                   string             `json:"id"`
	CreatedDateTime      *time.Time         `json:"createdDateTime"`
	LastModifiedDateTime *time.Time         `json:"lastModifiedDateTime"`
	ChangeKey            string             `json:"changeKey"`
	Categories           []string           `json:"categories"`
	ParentFolderID       string             `json:"parentFolderId"`
	GivenName            *string            `json:"givenName"`
	MiddleName           *string            `json:"middleName"`
	Surname              *string            `json:"surname"`
	DisplayName          *string            `json:"displayName"`
	CompanyName          *string            `json:"companyName"`
	JobTitle             *string            `json:"jobTitle"`
	Department           *string            `json:"department"`
	EmailAddresses       []emailAddress     `json:"emailAddresses"`
	BusinessPhones       []string           `json:"businessPhones"`
	MobilePhone          *string            `json:"mobilePhone"`
	HomePhones           []string           `json:"homePhones"`
	BusinessAddress      *physicalAddress   `json:"businessAddress"`
	PersonalNotes        *string            `json:"personalNotes"`
	Extended             []extendedProperty `json:"singleValueExtendedProperties"`
}

// emailAddress is microsoft.graph.emailAddress.
type emailAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// physicalAddress is microsoft.graph.physicalAddress.
type physicalAddress struct {
	Street          string `json:"street"`
	City            string `json:"city"`
	State           string `json:"state"`
	PostalCode      string `json:"postalCode"`
	CountryOrRegion string `json:"countryOrRegion"`
}

// extendedProperty is microsoft.graph.singleValueLegacyExtendedProperty.
type extendedProperty struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// contactFolder is microsoft.graph.contactFolder.
type contactFolder struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	ParentFolderID string `json:"parentFolderId"`
}

// outlookCategory is microsoft.graph.outlookCategory.
type outlookCategory struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Color       string `json:"color,omitempty"`
}

// collection is one page of a collection or of a delta round.
type collection struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}

// deltaRow is what every delta row is read as first: its id and whether
// it reports a deletion.
type deltaRow struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

// errorBody is Graph's error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
