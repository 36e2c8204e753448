-- Ringbill prepaid authorisation for FreeSWITCH (mod_lua, mod_curl's curl API, Lua JSON via dkjson).
--
-- In the dialplan, before bridging:
--   <action application="lua" data="ringbill_authorize.lua"/>
--   <action application="bridge" data="sofia/gateway/carrier/${destination_number}"/>
-- The script sets the call's time limit (sched_hangup) to maxDurationS, or hangs up when the call is refused.
-- The CDR (mod_json_cdr to POST /backend/api/v1/calls, or a CDR file) with call_id = the channel's uuid
-- settles the reservation; a call that is never answered releases it on hangup (api_hangup_hook below).
local json = require("dkjson")

local RINGBILL = os.getenv("RINGBILL_URL") or "http://127.0.0.1:8080/backend/api/v1"
local KEY = os.getenv("RINGBILL_KEY") or ""

local api = freeswitch.API()
local from = session:getVariable("caller_id_number")
local to = session:getVariable("destination_number")
local uuid = session:getVariable("uuid")

local body = json.encode({ from = from, to = to, callId = uuid })
local reply = api:execute("curl", RINGBILL .. "/calls/authorize json connect-timeout 2 timeout 3 " ..
  "append_headers Authorization:Bearer\\ " .. KEY .. " content-type application/json post " .. body)
local ok, parsed = pcall(json.decode, reply or "")
local answer = ok and parsed and parsed.body and json.decode(parsed.body) or nil

if not answer or answer.authorized ~= true then
  freeswitch.consoleLog("notice", "Ringbill refused " .. from .. " -> " .. to .. ": " .. tostring(answer and answer.reason or "unreachable") .. "\n")
  session:execute("playback", "ivr/ivr-not_have_enough_credit.wav")
  session:hangup("OUTGOING_CALL_BARRED")
  return
end

session:setVariable("ringbill_reservation", answer.reservationId)
-- The limit counts from now; a call still up after maxDurationS seconds is hung up.
session:execute("sched_hangup", "+" .. tostring(answer.maxDurationS) .. " ALLOTTED_TIMEOUT")
-- Never answered: release the hold at hangup (an answered call is settled by its CDR).
session:setVariable("api_hangup_hook", "lua ringbill_release.lua " .. answer.reservationId)
