import { EscalationReadModel1767225600000 } from './migrations/1767225600000-escalation-read-model';
import { CapacityHolds1767312000000 } from './migrations/1767312000000-capacity-holds';

/** The read model's migrations, oldest first (run at start-up). */
export const ESCALATION_MIGRATIONS = [EscalationReadModel1767225600000, CapacityHolds1767312000000];
