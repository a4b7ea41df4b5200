import type { Request } from 'express';
import type { AuditContext } from '../db/stores/audit-log.js';

/**
 * Where a request came from, for the audit rows it causes. Shared by controllers and
 * middleware alike, so it lives here rather than in any one controller (importing it from a
 * controller tied the web layer into an import cycle).
 */
export const auditContext = (req: Request): AuditContext => ({ ip: req.ip, userAgent: req.get('user-agent') });
