package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
)

// Resource URIs: an incident's markdown report and its bundle.
const (
	uriPrefix    = "triage://incidents/"
	reportSuffix = "/report.md"
	bundleSuffix = "/bundle"
)

// ReportURI and BundleURI name an incident's resources.
func ReportURI(id string) string { return uriPrefix + id + reportSuffix }

// BundleURI names an incident's bundle.
func BundleURI(id string) string { return uriPrefix + id + bundleSuffix }

func (s *Server) addResources() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{Name: "report", Title: "An incident's report",
		URITemplate: uriPrefix + "{id}" + reportSuffix, MIMEType: "text/markdown",
		Description: "The incident's report in markdown, as `triage report --format markdown` prints it."}, s.readReport)
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{Name: "bundle", Title: "An incident's bundle",
		URITemplate: uriPrefix + "{id}" + bundleSuffix, MIMEType: "application/gzip",
		Description: "The incident bundle: every request and answer of the investigation and its report, replayable offline with `triage report --bundle`."}, s.readBundle)
	if b, ok := s.d.Incidents.(BundleCatalog); ok {
		id := b.ID()
		s.mcp.AddResource(&mcp.Resource{Name: "report", URI: ReportURI(id), MIMEType: "text/markdown",
			Description: "The recorded incident's report in markdown."}, s.readReport)
		s.mcp.AddResource(&mcp.Resource{Name: "bundle", URI: BundleURI(id), MIMEType: "application/gzip",
			Description: "The recorded incident's bundle."}, s.readBundle)
	}
}

func incidentOfURI(uri, suffix string) (string, error) {
	id, ok := strings.CutPrefix(uri, uriPrefix)
	if ok {
		id, ok = strings.CutSuffix(id, suffix)
	}
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", mcp.ResourceNotFoundError(uri)
	}
	return id, nil
}

func (s *Server) readReport(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, err := incidentOfURI(uri, reportSuffix)
	if err != nil {
		return nil, err
	}
	c, err := s.caseFor(ctx, id, "")
	if err != nil {
		return nil, s.toolError(err)
	}
	var b strings.Builder
	if err := triage.WriteMarkdown(&b, c.report); err != nil {
		return nil, err
	}
	text := safe.Text(b.String())
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/markdown", Text: text}}}, nil
}

func (s *Server) readBundle(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, err := incidentOfURI(uri, bundleSuffix)
	if err != nil {
		return nil, err
	}
	c, err := s.caseFor(ctx, id, "")
	if err != nil {
		return nil, s.toolError(err)
	}
	if len(c.bundle) == 0 {
		return nil, fmt.Errorf("incident %s has no bundle: its report was %s without recording", quote(id), clean(c.origin, 80))
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/gzip", Blob: c.bundle}}}, nil
}
