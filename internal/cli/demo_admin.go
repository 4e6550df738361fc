package cli

import (
	"context"
	"log/slog"

	"github.com/crmsync/crmsync/internal/admin"
	"github.com/crmsync/crmsync/internal/store"
)

// demoSeat gives the demo's member, Sam, a few leads and accounts of his
// own in the sandbox and grants him the seat of his CRM user, as an admin
// would with crmsync crm seat grant: his saved lists start with them.
func demoSeat(ctx context.Context, s store.Store, log *slog.Logger, st demoState, sb *demoSandbox) error {
	for _, l := range []map[string]any{
		{"FirstName": "Lou", "LastName": "Lane", "Company": "Lane Logistics", "Status": "Open - Not Contacted"},
		{"FirstName": "Mia", "LastName": "Ortega", "Company": "Ortega Foods", "Status": "Working - Contacted"},
	} {
		if _, err := sb.org.Create("Lead", demoSFMemberUser, l); err != nil {
			return err
		}
	}
	for _, name := range []string{"Globex Corporation", "Initech"} {
		if _, err := sb.org.Create("Account", demoSFMemberUser, map[string]any{"Name": name}); err != nil {
			return err
		}
	}
	svc, err := newAdminService(s, log)
	if err != nil {
		return err
	}
	_, err = svc.GrantSeat(ctx, admin.Actor{OrgID: st.org.ID, UserID: st.admin.ID}, st.member.ID, demoSFMemberUser)
	return err
}
