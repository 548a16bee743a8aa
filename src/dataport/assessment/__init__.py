"""Applications to the regulator, their working-day deadlines, and approvals with their scope."""
