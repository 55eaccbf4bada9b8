"""The baseline for bench/intake.py: a FastAPI endpoint that reads the form and answers TwiML."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

app = FastAPI()
REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'


@app.post("/twilio/sms/incoming")
async def noop(request: Request) -> Response:
    await request.form()
    return Response(REPLY, media_type="application/xml")
