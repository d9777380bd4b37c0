"""The mapping seeds stay consistent with FOCUS 1.2's allowed categories and subcategories."""

from __future__ import annotations

import csv

from tests.conftest import ROOT

SEEDS = ROOT / "sql" / "seeds"

# FOCUS 1.2, ServiceSubcategory: the allowed values within each ServiceCategory ("Other (<category>)" too).
ALLOWED = {
    "AI and Machine Learning": {"AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing"},
    "Analytics": {"Analytics Platforms", "Business Intelligence", "Data Processing", "Search", "Streaming Analytics"},
    "Business Applications": {"Productivity and Collaboration"},
    "Compute": {"Containers", "End User Computing", "Quantum Compute", "Serverless Compute", "Virtual Machines"},
    "Databases": {"Caching", "Data Warehouses", "Ledger Databases", "NoSQL Databases", "Relational Databases", "Time Series Databases"},
    "Developer Tools": {"Developer Platforms", "Continuous Integration and Deployment", "Development Environments", "Source Code Management", "Quality Assurance"},
    "Identity": {"Identity and Access Management"},
    "Integration": {"API Management", "Messaging", "Workflow Orchestration"},
    "Internet of Things": {"IoT Analytics", "IoT Platforms"},
    "Management and Governance": {"Architecture", "Compliance", "Cost Management", "Data Governance", "Disaster Recovery", "Endpoint Management", "Observability", "Support"},
    "Media": {"Content Creation", "Gaming", "Media Streaming", "Mixed Reality"},
    "Migration": {"Data Migration", "Resource Migration"},
    "Mobile": set(),
    "Multicloud": {"Multicloud Integration"},
    "Networking": {"Application Networking", "Content Delivery", "Network Connectivity", "Network Infrastructure", "Network Routing", "Network Security"},
    "Security": {"Secret Management", "Security Posture Management", "Threat Detection and Response"},
    "Storage": {"Backup Storage", "Block Storage", "File Storage", "Object Storage", "Storage Platforms"},
    "Web": {"Application Platforms"},
    "Other": set(),
}


def read(name: str) -> dict[str, str]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as fh:
        return {row[0]: row[1] for row in list(csv.reader(fh))[1:]}


def test_categories_are_focus_categories():
    assert set(read("aws_service_categories.csv").values()) <= set(ALLOWED)


def test_every_subcategory_belongs_to_its_category():
    categories = read("aws_service_categories.csv")
    for code, sub in read("aws_service_subcategories.csv").items():
        assert code in categories, f"{code}: no ServiceCategory, so its subcategory would never be used"
        category = categories[code]
        assert sub in ALLOWED[category] | {f"Other ({category})"}, f"{code}: {sub!r} is not a subcategory of {category!r}"
