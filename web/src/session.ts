// session.ts: the typed API client and the tokens, held in memory only (never in storage or a
// URL). The refresh token is spent for a new pair before the access token expires.

import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

let accessToken = "";
let refreshToken = "";
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let onExpired: () => void = () => {};

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(auth);

/** The text a person reads for a problem+json answer (title, then detail). */
export function problemText(error: unknown, fallback = "The request failed"): string {
  if (error && typeof error === "object" && "title" in error) {
    const p = error as Problem;
    return p.detail ? `${p.title}: ${p.detail}` : p.title;
  }
  return fallback;
}

function keep(tokens: Schemas["TokenResponse"]): void {
  accessToken = tokens.accessToken;
  refreshToken = tokens.refreshToken;
  clearTimeout(refreshTimer);
  // Renew at 80% of the lifetime (at least 5 s from now).
  const ms = Math.max(5, tokens.expiresIn * 0.8) * 1000;
  refreshTimer = setTimeout(() => void renew(), ms);
}

async function renew(): Promise<void> {
  const { data } = await api.POST("/v1/auth/refresh", { body: { refreshToken } });
  if (data) {
    keep(data);
  } else {
    signOutLocally();
    onExpired();
  }
}

/** Logs in; null on success, else the problem's text. */
export async function login(username: string, password: string, expired: () => void): Promise<string | null> {
  onExpired = expired;
  const { data, error } = await api.POST("/v1/auth/login", { body: { username, password } });
  if (!data) return problemText(error, "Login failed");
  keep(data);
  return null;
}

export async function logout(): Promise<void> {
  await api.POST("/v1/auth/logout", { body: { refreshToken } });
  signOutLocally();
}

function signOutLocally(): void {
  clearTimeout(refreshTimer);
  accessToken = "";
  refreshToken = "";
}

/** A same-origin download with the access token (part and raw URLs the API hands out). */
export async function fetchBlob(url: string): Promise<Blob> {
  const resp = await fetch(new URL(url, location.origin), { headers: { Authorization: `Bearer ${accessToken}` } });
  if (!resp.ok) throw new Error(`download failed: ${resp.status}`);
  return resp.blob();
}
