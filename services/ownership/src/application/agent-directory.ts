import type { Pool, PoolClient } from 'pg';
import type { TeamSnapshot } from '../domain/ownership.commands';
import type { AgentSnapshot } from '../domain/ownership.types';
import { resolveTeamLead, type LeadRule } from '../domain/team-lead.rule';

interface AgentRow {
  agent_id: string;
  display_name: string | null;
  team_id: string | null;
  active: boolean;
  presence: 'online' | 'away' | 'offline';
}

const snapshotOf = (row: AgentRow): AgentSnapshot => ({
  agentId: row.agent_id,
  ...(row.display_name === null ? {} : { displayName: row.display_name }),
  ...(row.team_id === null ? {} : { teamId: row.team_id }),
  active: row.active,
  presence: row.presence,
});

export interface TeamRecord {
  teamId: string;
  name: string;
  leadRule: LeadRule | null;
  supervisorId: string | null;
}

/**
 * The agent directory (presence from the escalation topic; display name, team and activation from
 * the directory API) and teams with their lead rules. Every query is keyed by tenant.
 */
export class AgentDirectory {
  constructor(private readonly pool: Pool) {}

  async agent(tenantId: string, agentId: string): Promise<AgentSnapshot | undefined> {
    const { rows } = await this.pool.query<AgentRow>(
      `SELECT agent_id, display_name, team_id, active, presence FROM ownership.agents
        WHERE tenant_id = $1 AND agent_id = $2`,
      [tenantId, agentId],
    );
    return rows[0] ? snapshotOf(rows[0]) : undefined;
  }

  async team(tenantId: string, teamId: string): Promise<TeamRecord | undefined> {
    const { rows } = await this.pool.query<{
      team_id: string;
      name: string;
      lead_rule: LeadRule | null;
      supervisor_id: string | null;
    }>(
      `SELECT team_id, name, lead_rule, supervisor_id FROM ownership.teams WHERE tenant_id = $1 AND team_id = $2`,
      [tenantId, teamId],
    );
    const row = rows[0];
    return row
      ? { teamId: row.team_id, name: row.name, leadRule: row.lead_rule, supervisorId: row.supervisor_id }
      : undefined;
  }

  /** The team with its lead rule resolved to the person it names now. */
  async teamSnapshot(tenantId: string, teamId: string): Promise<TeamSnapshot | undefined> {
    const team = await this.team(tenantId, teamId);
    if (!team) return undefined;
    if (team.leadRule === null) return { teamId, hasLeadRule: false, lead: undefined };
    const { rows } = await this.pool.query<AgentRow & { open_tickets: string }>(
      `SELECT a.agent_id, a.display_name, a.team_id, a.active, a.presence,
              (SELECT count(*) FROM ownership.tickets t
                WHERE t.tenant_id = a.tenant_id AND t.owner_id = a.agent_id AND t.status = 'owned') AS open_tickets
         FROM ownership.agents a WHERE a.tenant_id = $1 AND a.team_id = $2`,
      [tenantId, teamId],
    );
    const members = rows.map((row) => ({ agent: snapshotOf(row), openTickets: Number(row.open_tickets) }));
    const namedLead =
      team.leadRule.type === 'named_lead' ? await this.agent(tenantId, team.leadRule.agentId) : undefined;
    return { teamId, hasLeadRule: true, lead: resolveTeamLead(team.leadRule, members, namedLead) };
  }

  /** The supervisor of an agent's team, if the team names one. */
  async supervisorOf(tenantId: string, agentId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ supervisor_id: string | null }>(
      `SELECT t.supervisor_id FROM ownership.agents a
         JOIN ownership.teams t ON t.tenant_id = a.tenant_id AND t.team_id = a.team_id
        WHERE a.tenant_id = $1 AND a.agent_id = $2`,
      [tenantId, agentId],
    );
    return rows[0]?.supervisor_id ?? undefined;
  }

  /** Presence from `AgentPresenceChanged`, inside the consumer's transaction; older facts lose. */
  static async recordPresence(
    tx: PoolClient,
    fact: { tenantId: string; agentId: string; presence: AgentSnapshot['presence']; at: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO ownership.agents (tenant_id, agent_id, presence, presence_changed_at, active)
       VALUES ($1, $2, $3, $4, true)
       ON CONFLICT (tenant_id, agent_id) DO UPDATE
         SET presence = EXCLUDED.presence, presence_changed_at = EXCLUDED.presence_changed_at, updated_at = now()
       WHERE ownership.agents.presence_changed_at IS NULL
          OR ownership.agents.presence_changed_at <= EXCLUDED.presence_changed_at`,
      [fact.tenantId, fact.agentId, fact.presence, fact.at],
    );
  }

  async upsertAgent(
    tenantId: string,
    agent: { agentId: string; displayName?: string; teamId?: string; active: boolean },
  ): Promise<{ previouslyActive: boolean | undefined }> {
    const { rows: before } = await this.pool.query<{ active: boolean }>(
      `SELECT active FROM ownership.agents WHERE tenant_id = $1 AND agent_id = $2`,
      [tenantId, agent.agentId],
    );
    await this.pool.query(
      `INSERT INTO ownership.agents (tenant_id, agent_id, display_name, team_id, active)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, agent_id) DO UPDATE
         SET display_name = EXCLUDED.display_name, team_id = EXCLUDED.team_id, active = EXCLUDED.active,
             updated_at = now()`,
      [tenantId, agent.agentId, agent.displayName ?? null, agent.teamId ?? null, agent.active],
    );
    return { previouslyActive: before[0]?.active };
  }

  async upsertTeam(tenantId: string, team: TeamRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ownership.teams (tenant_id, team_id, name, lead_rule, supervisor_id)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, team_id) DO UPDATE
         SET name = EXCLUDED.name, lead_rule = EXCLUDED.lead_rule, supervisor_id = EXCLUDED.supervisor_id,
             updated_at = now()`,
      [
        tenantId,
        team.teamId,
        team.name,
        team.leadRule === null ? null : JSON.stringify(team.leadRule),
        team.supervisorId,
      ],
    );
  }

  /** Open tickets an agent owns now (for shift handovers and deactivation). */
  async openTicketsOf(tenantId: string, agentId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ ticket_id: string }>(
      `SELECT ticket_id FROM ownership.tickets WHERE tenant_id = $1 AND owner_id = $2 AND status = 'owned'
        ORDER BY ticket_id`,
      [tenantId, agentId],
    );
    return rows.map((row) => row.ticket_id);
  }
}
