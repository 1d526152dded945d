/** The extensions netloom implements, exactly (neutron-lib alias names). */
export const EXTENSIONS: { alias: string; name: string; description: string }[] = [
  {
    alias: "security-group",
    name: "security-group",
    description: "The security groups extension.",
  },
  {
    alias: "router",
    name: "Neutron L3 Router",
    description:
      "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
  },
  {
    alias: "external-net",
    name: "Neutron external network",
    description: "Adds external network attribute to network resource.",
  },
  {
    alias: "allowed-address-pairs",
    name: "Allowed Address Pairs",
    description: "Provides allowed address pairs",
  },
  {
    alias: "standard-attr-description",
    name: "standard-attr-description",
    description: "Extension to add descriptions to standard attributes",
  },
  {
    alias: "standard-attr-tag",
    name: "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
    description: "Enables to set tag on resources with standard attribute.",
  },
  {
    alias: "standard-attr-timestamp",
    name: "Resource timestamps",
    description:
      "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
  },
  {
    alias: "standard-attr-revisions",
    name: "Resource revision numbers",
    description: "This extension will display the revision number of neutron resources.",
  },
  {
    alias: "revision-if-match",
    name: "If-Match constraints based on revision_number",
    description: "Extension indicating that If-Match based on revision_number is supported.",
  },
  {
    alias: "project-id",
    name: "project_id field enabled",
    description: "Extension that indicates that project_id field is enabled.",
  },
  {
    alias: "pagination",
    name: "Pagination support",
    description: "Extension that indicates that pagination is enabled.",
  },
  {
    alias: "sorting",
    name: "Sorting support",
    description: "Extension that indicates that sorting is enabled.",
  },
  {
    alias: "fields",
    name: "Fields",
    description: "Extension that indicates that fields projection is enabled.",
  },
  {
    alias: "filter-validation",
    name: "Filter parameters validation",
    description: "Provides validation on filter parameters.",
  },
  {
    alias: "binding",
    name: "Port Binding",
    description: "Expose port bindings of a virtual port to external application",
  },
  { alias: "port-security", name: "Port Security", description: "Provides port security" },
].map(
  (extension) =>
    ({ ...extension, updated: "2024-01-01T00:00:00-00:00", links: [] }) as {
      alias: string;
      name: string;
      description: string;
    },
);
