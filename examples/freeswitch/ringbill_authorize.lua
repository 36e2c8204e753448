-- Ringbill prepaid authorisation for FreeSWITCH (mod_lua, mod_curl's curl API, Lua JSON via dkjson).
--
-- In the dialplan, before bridging:
--   <action application="lua" data="ringbill_authorize.lua"/>
--   <action application="bridge" data="sofia/gateway/carrier/${destination_number}"/>
-- The script sets the call's time limit (sched_hangup) to maxDurationS, or hangs up when the call is refused.
-- The CDR (mod_json_cdr to POST /backend/api/v1/calls, or a CDR file) with call_id = the channel's uuid
-- settles the reservation; a call that is never answered releases it at hangup (api_hangup_hook below), and
-- an answered call never does (its CDR settles it).
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
-- At hangup, ringbill_release.lua releases the hold of a call that was never answered (busy, no answer,
-- failed). An answered call is left alone: its CDR settles the reservation with the call's real cost (a
-- release first would hand the money back while the call's charge is still on its way). FreeSWITCH expands
-- ${answer_epoch} when the hook runs, at hangup: 0 when the channel never answered. (A dialplan that answers
-- the caller before bridging, for an IVR, passes ${bridge_epoch} instead: 0 when the bridge never connected.)
session:setVariable("api_hangup_hook", "lua ringbill_release.lua " .. answer.reservationId .. " ${answer_epoch}")
