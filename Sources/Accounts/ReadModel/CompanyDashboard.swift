public import AccountsDomain

/// `GET /reports/company-dashboard`: `{"companies": [...], "totals": {...}}`,
/// every company, most users first, then name, then id.
public struct CompanyDashboard: Equatable, Sendable, Encodable {
    /// One company: `{"company_id", "name", "active", "user_count"}`.
    public struct Entry: Equatable, Sendable, Encodable {
        public var companyID: CompanyID
        public var name: String
        public var active: Bool
        public var userCount: Int

        public init(companyID: CompanyID, name: String, active: Bool, userCount: Int) {
            self.companyID = companyID
            self.name = name
            self.active = active
            self.userCount = userCount
        }

        enum CodingKeys: String, CodingKey {
            case companyID = "company_id", name, active, userCount = "user_count"
        }
    }

    /// `{"companies", "active_companies", "users", "users_without_company"}`.
    public struct Totals: Equatable, Sendable, Encodable {
        public var companies: Int
        public var activeCompanies: Int
        public var users: Int
        public var usersWithoutCompany: Int

        public init(companies: Int, activeCompanies: Int, users: Int, usersWithoutCompany: Int) {
            self.companies = companies
            self.activeCompanies = activeCompanies
            self.users = users
            self.usersWithoutCompany = usersWithoutCompany
        }

        enum CodingKeys: String, CodingKey {
            case companies, activeCompanies = "active_companies", users, usersWithoutCompany = "users_without_company"
        }
    }

    public var companies: [Entry]
    public var totals: Totals

    public init(companies: [Entry], totals: Totals) {
        self.companies = companies
        self.totals = totals
    }
}
