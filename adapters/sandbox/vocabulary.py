"""The words the population generator draws from: names, titles, industries, campaigns, pages.

Weights are relative frequencies, chosen to look like a mid-market B2B portal: many managers and engineers, a
few students, interns and CEOs, some records with fields left empty (None) as real CRMs have them.
"""

from __future__ import annotations

# fmt: off
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Lisa",
    "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Paul", "Donna", "Andrew",
    "Michelle", "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Priya", "Rahul", "Ananya", "Arjun", "Wei",
    "Li", "Mei", "Jun", "Hiroshi", "Yuki", "Sofia", "Mateo", "Lucia", "Diego", "Camila", "Javier", "Isabella",
    "Carlos", "Valentina", "Pablo", "Lukas", "Anna", "Felix", "Lena", "Jonas", "Marie", "Leon", "Hannah", "Noah",
    "Emma", "Olivia", "Liam", "Chloe", "Louis", "Camille", "Hugo", "Manon", "Jules", "Ines", "Arthur", "Fatima",
    "Omar", "Aisha", "Yusuf", "Amara", "Kwame", "Chidi", "Zainab", "Tunde", "Ngozi", "Erik", "Ingrid", "Lars",
    "Astrid", "Sven", "Freya", "Mikko", "Aino", "Pieter", "Sanne",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Patel", "Sharma", "Gupta", "Singh",
    "Kumar", "Wang", "Zhang", "Chen", "Liu", "Tanaka", "Suzuki", "Sato", "Kim", "Park", "Choi", "Mueller", "Schmidt",
    "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Lefebvre", "Moreau", "Laurent",
    "Bernard", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Okafor", "Adeyemi", "Mensah", "Diallo", "Haddad",
    "Nasser", "Khan", "Johansson", "Nilsson", "Larsen", "Hansen", "Virtanen", "De Vries", "Jansen", "Van Dijk",
    "O'Brien", "Murphy",
)

# (title, weight); None is a record without a title, common in imported lists.
TITLES = (
    ("Student", 4.0), ("Intern", 2.0), ("Graduate Student", 1.0), ("CEO", 2.0), ("Founder", 1.5), ("Co-Founder", 1.0),
    ("Owner", 1.0), ("President", 0.5), ("CTO", 1.0), ("CFO", 0.5), ("COO", 0.5), ("CMO", 0.6), ("VP Sales", 1.5),
    ("VP Marketing", 1.5), ("VP Engineering", 1.0), ("Vice President of Operations", 0.7),
    ("Director of Marketing", 2.0), ("Director of IT", 1.5), ("Director of Sales", 1.5), ("Head of Growth", 1.0),
    ("Head of Sales Operations", 1.0), ("Marketing Manager", 5.0), ("Sales Manager", 4.0), ("Product Manager", 3.0),
    ("IT Manager", 3.0), ("Operations Manager", 3.0), ("Project Manager", 3.0), ("Customer Success Manager", 2.0),
    ("Software Engineer", 5.0), ("Senior Software Engineer", 3.0), ("Data Analyst", 3.0), ("Business Analyst", 2.0),
    ("Marketing Specialist", 3.0), ("Sales Development Representative", 3.0), ("Account Executive", 3.0),
    ("Consultant", 3.0), ("Freelancer", 1.0), ("Office Manager", 2.0), ("Administrative Assistant", 2.0),
    ("Procurement Specialist", 1.0), ("Teacher", 1.0), ("Professor", 0.7), ("Retired", 0.3), (None, 6.0),
)

STUDENT_TITLES = frozenset({"Student", "Intern", "Graduate Student"})

# (industry, weight); Education, Government and Non-Profit are markets the demo product does not serve.
INDUSTRIES = (
    ("Technology", 8.0), ("Software", 8.0), ("Financial Services", 5.0), ("Healthcare", 4.0), ("Manufacturing", 5.0),
    ("Retail", 4.0), ("Telecommunications", 2.0), ("Media", 2.0), ("Energy", 1.5), ("Consulting", 3.0),
    ("Transportation", 2.0), ("Real Estate", 1.5), ("Hospitality", 1.0), ("Education", 3.0), ("Government", 2.0),
    ("Non-Profit", 1.5), (None, 4.0),
)

EDUCATION = 'Education'

# (country, top-level domain, weight)
COUNTRIES = (
    ("United States", "com", 40.0), ("United Kingdom", "co.uk", 9.0), ("Germany", "de", 8.0), ("France", "fr", 5.0),
    ("Canada", "ca", 5.0), ("Australia", "com.au", 4.0), ("India", "in", 5.0), ("Brazil", "com.br", 3.0),
    ("Netherlands", "nl", 3.0), ("Spain", "es", 2.5), ("Japan", "jp", 2.0), ("Sweden", "se", 1.5),
    ("Nigeria", "ng", 1.0), ("Mexico", "mx", 1.5), (None, "com", 6.0),
)

COMPANY_HEADS = (
    "Northwind", "Blue Harbor", "Summit", "Redwood", "Ironclad", "Brightline", "Cedar", "Atlas", "Pioneer",
    "Silverleaf", "Granite", "Horizon", "Keystone", "Lakeside", "Meridian", "Nimbus", "Orbit", "Pinnacle", "Quantum",
    "Riverbend", "Sterling", "Trident", "Unity", "Vertex", "Westfield", "Zenith", "Apex", "Beacon", "Cobalt", "Delta",
    "Evergreen", "Falcon", "Global", "Harbor", "Indigo", "Juniper", "Kestrel", "Lumen", "Maple", "Nova", "Oakridge",
    "Polaris", "Quarry", "Radiant", "Sequoia", "Tidewater", "Upland", "Vantage", "Willow", "Yellowstone", "Acorn",
    "Bramble", "Crescent", "Driftwood", "Ember", "Foxglove", "Golden Gate", "Highland", "Ivory", "Jade", "Kingfisher",
    "Lighthouse", "Mosaic", "Nautilus", "Olympus", "Prairie",
)

COMPANY_MIDDLES = (
    "", "", "", "", "Data", "Cloud", "Digital", "Bio", "Green", "Smart", "Micro", "Blue", "Prime", "First", "North",
    "Next", "Open", "Core",
)

COMPANY_TAILS = (
    "Analytics", "Systems", "Solutions", "Labs", "Logistics", "Health", "Foods", "Energy", "Capital", "Media",
    "Networks", "Robotics", "Partners", "Consulting", "Manufacturing", "Retail", "Software", "Technologies",
    "Industries", "Ventures", "Dynamics", "Works", "Group", "Holdings", "Studios", "Pharma", "Motors", "Insurance",
    "Telecom", "Realty", "Hotels", "Outfitters", "Supply", "Biotech", "Security", "Payments",
)

SCHOOL_TAILS = (
    "University", "College", "Institute of Technology", "State University", "School District",
)

FREEMAIL_DOMAINS = (
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me",
)

# (lead source, weight)
LEAD_SOURCES = (
    ("Google Ads", 14.0), ("Organic Search", 16.0), ("Facebook", 6.0), ("LinkedIn", 8.0), ("Webinar", 8.0),
    ("Referral", 7.0), ("Trade Show", 5.0), ("Email Campaign", 5.0), ("Partner", 4.0), ("Direct Traffic", 8.0),
    ("Content Download", 5.0), ("Cold Call", 2.0), (None, 8.0),
)

PRODUCTS = (
    "Analytics", "Automation", "Integrations", "Enterprise Suite", "Starter",
)

PRODUCT_SLUGS = (
    "analytics", "automation", "integrations", "enterprise", "starter",
)

EMAIL_CAMPAIGNS = (
    ("Monthly Newsletter", "What's new this month"), ("Monthly Newsletter", "Five dashboards our customers love"),
    ("Product Launch", "Introducing Automation 2.0"), ("Product Launch", "Integrations: 40 new connectors"),
    ("Nurture - Getting Started", "Getting started in ten minutes"),
    ("Nurture - Getting Started", "Your first report"),
    ("Nurture - Case Studies", "How Summit Health cut reporting time in half"),
    ("Nurture - Case Studies", "Retail analytics at scale"), ("Pricing Update", "Simpler plans, same price"),
    ("Webinar Invite", "Live: scoring leads that sales trusts"),
    ("Webinar Invite", "Live: automating the quarter close"), ("Customer Onboarding", "Welcome aboard"),
    ("Customer Upsell", "Unlock the Enterprise Suite"), ("Event Follow-up", "Great meeting you at the show"),
    ("Re-engagement", "Still interested?"),
)

WEBINARS = (
    "Webinar - Scoring Leads Sales Trusts", "Webinar - Automating the Quarter Close",
    "Webinar - Analytics for Operations", "Webinar - Integrations Deep Dive",
)

FORMS = (
    "Contact Us", "Demo Request", "Whitepaper Download", "Newsletter Signup", "Free Trial", "Pricing Inquiry",
)

BLOG_SLUGS = (
    "lead-scoring-101", "what-is-mql", "crm-hygiene", "sales-marketing-alignment", "predictive-analytics",
    "dashboard-design", "automation-roi", "data-quality-checklist", "churn-signals", "pipeline-forecasting",
    "customer-story-summit", "customer-story-redwood", "year-in-review", "remote-sales-teams", "gdpr-basics",
)

DOCS_PATHS = (
    "getting-started", "api/authentication", "api/rate-limits", "integrations/salesforce", "integrations/hubspot",
    "admin/users", "release-notes",
)

GENERAL_PAGES = (
    "/", "/about", "/customers", "/contact", "/security", "/partners",
)

CALL_OUTCOMES = (
    "connected", "left voicemail", "no answer", "connected", "wrong number",
)

MEETING_CHANNELS = (
    "video", "video", "in person",
)
# fmt: on
