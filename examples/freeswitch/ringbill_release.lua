-- Called at hangup (api_hangup_hook): releases the reservation of a call that was never answered.
local RINGBILL = os.getenv("RINGBILL_URL") or "http://127.0.0.1:8080/backend/api/v1"
local KEY = os.getenv("RINGBILL_KEY") or ""
local reservation = argv[1]
local api = freeswitch.API()
if reservation and reservation ~= "" then
  api:execute("curl", RINGBILL .. "/calls/authorize/" .. reservation .. "/release append_headers Authorization:Bearer\\ " .. KEY .. " post")
end
