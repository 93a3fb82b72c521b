-- Counts responses by status in each wrk thread; summary.lua adds them up. Only runs
-- that expect a non-2xx answer use it: a response() hook costs wrk CPU per request.
statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
