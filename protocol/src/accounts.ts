/** A user as `GET /v1/users` lists them. */
export interface UserSummary {
  name: string;
  admin: boolean;
  created_at: number;
  /** Tokens of this user that work; 0 once revoked. */
  tokens: number;
  groups: string[];
}

/** A named set of users that functions and endpoints can be shared with. */
export interface GroupRecord {
  name: string;
  members: string[];
  created_at: number;
  /** Who created it (a user, or the operator of `funcx-hub groups create`). */
  created_by?: string;
}

/** `PUT /v1/groups/:name/members`: users added, then users removed. */
export interface GroupMembersChange {
  add?: string[];
  remove?: string[];
}

/** A token issued for a user; shown once. */
export interface IssuedToken {
  user: string;
  token: string;
  /** Whether every other token of the user stopped working (a rotation). */
  revoked_others: boolean;
}
