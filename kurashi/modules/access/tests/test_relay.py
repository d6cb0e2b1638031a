"""Text relay: resident, hearing party by secret link, optional operator; transcript kept."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kurashi.modules.access import services
from kurashi.modules.access.models import RelayConversation
from kurashi.modules.access.tests.conftest import World


def test_three_parties_converse_and_the_resident_keeps_the_transcript(world: World) -> None:
    resident = Client()
    resident.force_login(world.resident)
    response = resident.post(
        reverse("access:relay"),
        {"counterpart_name": "佐賀市役所 福祉課", "topic": "手帳の更新", "wants_operator": "on"},
    )
    conversation = RelayConversation.objects.get()
    chat = reverse("access:relay-chat", kwargs={"public_id": conversation.public_id})
    assert response["Location"] == chat
    page = resident.get(chat).content.decode()
    assert conversation.counterpart_token in page  # the link to hand over
    resident.post(
        reverse("access:relay-message", kwargs={"public_id": conversation.public_id}),
        {"body": "こんにちは。耳が聞こえないため、文字でお話しします。"},
    )

    office = Client()
    assert office.get(chat).status_code == 403
    assert office.get(chat, {"token": conversation.counterpart_token}).status_code == 200
    office.post(
        reverse("access:relay-message", kwargs={"public_id": conversation.public_id}),
        {"body": "福祉課です。どうぞ。", "token": conversation.counterpart_token},
    )

    operator = Client()
    operator.force_login(world.operator)
    assert conversation.public_id.hex[:8] in operator.get(
        reverse("access:relay")
    ).content.decode().replace("-", "")
    operator.post(chat)  # join
    operator.post(
        reverse("access:relay-message", kwargs={"public_id": conversation.public_id}),
        {"body": "オペレーターです"},
    )

    transcript = resident.get(
        reverse("access:relay-transcript", kwargs={"public_id": conversation.public_id})
    ).content.decode()
    lines = [line.split("] ", 1)[1] for line in transcript.splitlines() if line.startswith("[")]
    assert lines == [
        "(会話を開始しました)",
        "利用者: こんにちは。耳が聞こえないため、文字でお話しします。",
        "佐賀市役所 福祉課: 福祉課です。どうぞ。",
        "(オペレーターが参加しました)",
        "オペレーター: オペレーターです",
    ]
    other = Client()
    other.force_login(world.other_resident)
    assert other.get(chat).status_code == 403
    assert (
        office.get(
            reverse("access:relay-transcript", kwargs={"public_id": conversation.public_id}),
            {"token": conversation.counterpart_token},
        ).status_code
        == 403
    )


def test_closed_conversation_takes_no_more_messages(world: World) -> None:
    conversation = services.start_relay(resident=world.resident, counterpart_name="診療所")
    services.close_relay(actor=world.resident, conversation=conversation)
    with pytest.raises(ValidationError):
        services.post_relay_message(conversation=conversation, role="counterpart", body="まだ")
    assert conversation.channel.messages.count() == 2
