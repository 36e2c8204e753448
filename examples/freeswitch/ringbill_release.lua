-- Called at hangup (api_hangup_hook, set by ringbill_authorize.lua):
--   lua ringbill_release.lua RESERVATION_ID ${answer_epoch}
-- Releases the reservation of a call that was never answered (busy, no answer, failed): nothing will settle
-- it otherwise until it expires. An answered call (answer_epoch above 0) is left alone: its CDR settles the
-- reservation with what the call cost, exactly once; releasing it here would give the hold back while the
-- call's charge is still on its way.
local RINGBILL = os.getenv("RINGBILL_URL") or "http://127.0.0.1:8080/backend/api/v1"
local KEY = os.getenv("RINGBILL_KEY") or ""
local reservation = argv[1]
local answered_at = tonumber(argv[2] or "") or 0
if not reservation or not reservation:match("^%d+$") then return end
if answered_at > 0 then
  freeswitch.consoleLog("info", "Ringbill: call answered, reservation " .. reservation .. " is settled by its CDR\n")
  return
end
local api = freeswitch.API()
api:execute("curl", RINGBILL .. "/calls/authorize/" .. reservation .. "/release append_headers Authorization:Bearer\\ " .. KEY .. " post")
