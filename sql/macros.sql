-- The DuckDB-specific helpers the models use, in one place (another engine gets its own file).

-- The value of the first of `keys` (lower-case, in priority order) present in a tag map, matching
-- keys without regard to case; trimmed, null when absent or blank.
create or replace macro first_tag(tags, keys) as
    list_sort(
        list_filter(
            list_transform(map_entries(tags), lambda e: {'p': list_position(keys, lower(e.key)), 'v': trim(e.value)}),
            lambda x: x.p > 0 and x.v <> ''
        )
    )[1].v;

-- What int_cost_attribution groups and joins tag maps by: the map itself here; an engine that cannot
-- compare maps (Spark) uses their sorted entries (sql/engines.toml).
create or replace macro tag_set(tags) as tags;
