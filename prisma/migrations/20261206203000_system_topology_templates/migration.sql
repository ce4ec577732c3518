-- The four system topology templates: readable by every owner, editable by none.
-- Fixed UUIDv7 ids with a zero timestamp: every environment gets the same ids, and they sort
-- before every id Prisma generates, so newest-first lists (and their cursors) end with them.
-- Each configuration names only the settings the template stands for, the rest take the swarm
-- defaults when a swarm is created from it.

INSERT INTO "topology_templates" ("id", "owner_id", "name", "description", "topology", "configuration", "is_system", "created_at", "updated_at")
VALUES
    ('00000000-0000-7000-8000-000000000001', NULL, 'star',
     'One coordinator dispatches to every worker and collects their results. Work goes to the least loaded worker.',
     'star', '{"distribution_algorithm": "least_loaded"}', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000000002', NULL, 'mesh',
     'Every agent may talk to every other, with no single point of failure. Work goes to the agent whose capabilities fit best.',
     'mesh', '{"distribution_algorithm": "capability_match"}', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000000003', NULL, 'hierarchical',
     'A coordinator over supervisors over workers, at most three children per parent, for large swarms. Agents talk only to their parent and children. Work goes to the least loaded worker.',
     'hierarchical', '{"max_children_per_parent": 3, "distribution_algorithm": "least_loaded"}', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000000004', NULL, 'ring',
     'Each agent talks only to its predecessor and successor, for pipelines. Work is handed out in turn.',
     'ring', '{"distribution_algorithm": "round_robin"}', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
