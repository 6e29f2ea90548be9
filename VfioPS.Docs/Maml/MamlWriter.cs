using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using VfioPS.Docs.Markdown;

namespace VfioPS.Docs.Maml;

/// <summary>
/// Writes, byte for byte, the MAML that the released PlatyPS 1.0.3's Export-MamlCommandHelp writes for the same
/// pages (MamlHelpers.cs and the MamlWriter classes serialised by XmlSerializer, then the separator replaced in
/// ExportMamlCommandHelp.cs): element order, attributes and their order, syntax items parsed from the SYNTAX blocks,
/// and the paragraphs of each section. The description, the notes and each input/output description are one
/// maml:para holding the section's lines with their line breaks and blank lines; a parameter description is split
/// at its blank lines into paragraphs that keep their line breaks; an example is split the same way, with a
/// &lt;maml:para&gt;&amp;#x80;&lt;/maml:para&gt; between its chunks. Text stays raw markdown, as PlatyPS leaves it.
/// </summary>
public static class MamlWriter
{
    private const string MamlNs = "http://schemas.microsoft.com/maml/2004/10";
    private const string CommandNs = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string DevNs = "http://schemas.microsoft.com/maml/dev/2004/10";
    private const string LineBreakPlaceholder = "__REMOVE_ME_LINE_BREAK__";

    /// <summary>
    /// The paragraph PlatyPS 1.0.3 puts between the chunks of an example: U+0080, a C1 control character, which
    /// Get-Help prints as a line of its own between the chunks.
    /// </summary>
    public const string ExampleSeparatorXml = "<maml:para>&#x80;</maml:para>";

    public static string Write(IEnumerable<CommandHelp> commands)
    {
        var settings = new XmlWriterSettings
        {
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            Encoding = new UTF8Encoding(false),
        };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement("helpItems", "http://msh");
            writer.WriteAttributeString("xmlns", "maml", null, MamlNs);
            writer.WriteAttributeString("xmlns", "command", null, CommandNs);
            writer.WriteAttributeString("xmlns", "dev", null, DevNs);
            writer.WriteAttributeString("schema", "maml");
            foreach (var command in commands) WriteCommand(writer, command);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }
        string xml = new UTF8Encoding(false).GetString(stream.ToArray());
        return xml.Replace($"<maml:para>{LineBreakPlaceholder}</maml:para>", ExampleSeparatorXml, StringComparison.Ordinal);
    }

    private static void WriteCommand(XmlWriter w, CommandHelp help)
    {
        w.WriteStartElement("command", "command", CommandNs);

        w.WriteStartElement("command", "details", CommandNs);
        Element(w, "command", "name", CommandNs, help.Title);
        WriteDescription(w, new[] { help.Synopsis });
        string[] verbNoun = help.Title.Split('-');
        Element(w, "command", "verb", CommandNs, verbNoun.Length == 2 ? verbNoun[0] : help.Title);
        if (verbNoun.Length == 2) Element(w, "command", "noun", CommandNs, verbNoun[1]);
        else { w.WriteStartElement("command", "noun", CommandNs); w.WriteEndElement(); }
        w.WriteEndElement();

        // One paragraph with the section's lines as written (PlatyPS 1.0.3 does not split the description).
        WriteDescription(w, new[] { help.Description });

        w.WriteStartElement("command", "syntax", CommandNs);
        foreach (var block in help.Syntax)
        {
            w.WriteStartElement("command", "syntaxItem", CommandNs);
            Element(w, "maml", "name", MamlNs, block.CommandName);
            foreach (var parameter in SortSyntax(block.Parameters)) WriteSyntaxParameter(w, parameter, help.Parameters);
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", CommandNs);
        foreach (var parameter in help.Parameters) WriteParameter(w, parameter);
        w.WriteEndElement();

        WriteTypes(w, "inputTypes", "inputType", help.Inputs);
        WriteTypes(w, "returnValues", "returnValue", help.Outputs);

        w.WriteStartElement("maml", "alertSet", MamlNs);
        w.WriteStartElement("maml", "alert", MamlNs);
        WritePara(w, help.Notes);
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("command", "examples", CommandNs);
        foreach (var example in help.Examples)
        {
            w.WriteStartElement("command", "example", CommandNs);
            Element(w, "maml", "title", MamlNs, $"--------- {example.Title} ---------");
            w.WriteStartElement("maml", "introduction", MamlNs);
            string[] chunks = example.Remarks.Split("\n\n").Select(c => c.Trim()).ToArray();
            for (int i = 0; i < chunks.Length; i++)
            {
                WritePara(w, chunks[i]);
                if (i < chunks.Length - 1) WritePara(w, LineBreakPlaceholder);
            }
            w.WriteEndElement();
            w.WriteStartElement("dev", "code", DevNs); w.WriteEndElement();
            w.WriteStartElement("dev", "remarks", DevNs); w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "relatedLinks", CommandNs);
        if (help.HelpUri is not null) WriteLink(w, "Online Version", help.HelpUri);
        foreach (var link in help.RelatedLinks) WriteLink(w, link.LinkText, link.Uri);
        w.WriteEndElement();

        w.WriteEndElement();
    }

    /// <summary>Positional parameters by position, then mandatory named, then optional named (PlatyPS's SortParameters).</summary>
    private static IEnumerable<SyntaxParameter> SortSyntax(IReadOnlyList<SyntaxParameter> parameters)
        => parameters.Where(p => p.IsPositional).OrderBy(p => int.Parse(p.Position, System.Globalization.CultureInfo.InvariantCulture))
            .Concat(parameters.Where(p => !p.IsPositional && p.IsMandatory))
            .Concat(parameters.Where(p => !p.IsPositional && !p.IsMandatory));

    private static void WriteSyntaxParameter(XmlWriter w, SyntaxParameter parameter, IReadOnlyList<HelpParameter> parameters)
    {
        var documented = parameter.IsSwitch ? null : parameters.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.Ordinal));
        string aliases = documented is { Aliases.Count: > 0 } ? string.Join(", ", documented.Aliases) : "none";
        WriteParameterStart(w, parameter.IsMandatory, globbing: false, pipelineInput: "false", parameter.Position, aliases);
        Element(w, "maml", "name", MamlNs, parameter.Name);
        w.WriteStartElement("maml", "description", MamlNs); w.WriteEndElement();
        if (parameter.IsSwitch)
        {
            WriteType(w, "System.Management.Automation.SwitchParameter");
        }
        else
        {
            if (documented is { AcceptedValues.Count: > 0 }) WriteValueGroup(w, documented.AcceptedValues);
            WriteParameterValue(w, parameter.TypeName!, variableLength: false);
            if (documented is not null) WriteType(w, documented.Type);
        }
        w.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter w, HelpParameter parameter)
    {
        bool byValue = parameter.ParameterSets.Any(s => s.ValueFromPipeline);
        bool byName = parameter.ParameterSets.Any(s => s.ValueFromPipelineByPropertyName);
        string pipelineInput = (byValue, byName) switch
        {
            (true, true) => "true (ByValue, ByPropertyName)",
            (true, false) => "true (ByValue)",
            (false, true) => "true (ByPropertyName)",
            _ => "false",
        };
        WriteParameterStart(w, parameter.ParameterSets.Any(s => s.IsRequired), parameter.SupportsWildcards, pipelineInput,
            parameter.ParameterSets.FirstOrDefault()?.Position ?? "Named", parameter.Aliases.Count > 0 ? string.Join(", ", parameter.Aliases) : "none");
        Element(w, "maml", "name", MamlNs, parameter.Name);
        // Split at blank lines only: each paragraph keeps its line breaks.
        WriteDescription(w, parameter.Description.Split("\n\n").Select(p => p.Trim()));
        if (parameter.AcceptedValues.Count > 0) WriteValueGroup(w, parameter.AcceptedValues);
        if (parameter.Type is not ("SwitchParameter" or "System.Management.Automation.SwitchParameter"))
            WriteParameterValue(w, parameter.Type, variableLength: true);
        WriteType(w, parameter.Type);
        w.WriteEndElement();
    }

    private static void WriteParameterStart(XmlWriter w, bool required, bool globbing, string pipelineInput, string position, string aliases)
    {
        w.WriteStartElement("command", "parameter", CommandNs);
        w.WriteAttributeString("required", Bool(required));
        w.WriteAttributeString("variableLength", "false");
        w.WriteAttributeString("globbing", Bool(globbing));
        w.WriteAttributeString("pipelineInput", pipelineInput);
        w.WriteAttributeString("position", position);
        w.WriteAttributeString("aliases", aliases);
    }

    private static void WriteValueGroup(XmlWriter w, IEnumerable<string> values)
    {
        w.WriteStartElement("command", "parameterValueGroup", CommandNs);
        foreach (string value in values)
        {
            w.WriteStartElement("command", "parameterValue", CommandNs);
            w.WriteAttributeString("required", "false");
            w.WriteAttributeString("variableLength", "false");
            w.WriteString(value);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void WriteParameterValue(XmlWriter w, string type, bool variableLength)
    {
        w.WriteStartElement("command", "parameterValue", CommandNs);
        w.WriteAttributeString("required", "true");
        w.WriteAttributeString("variableLength", Bool(variableLength));
        w.WriteString(type);
        w.WriteEndElement();
    }

    private static void WriteType(XmlWriter w, string type)
    {
        w.WriteStartElement("dev", "type", DevNs);
        Element(w, "maml", "name", MamlNs, type);
        w.WriteEndElement();
    }

    private static void WriteTypes(XmlWriter w, string collection, string item, IReadOnlyList<HelpInputOutput> types)
    {
        w.WriteStartElement("command", collection, CommandNs);
        foreach (var type in types)
        {
            w.WriteStartElement("command", item, CommandNs);
            WriteType(w, type.TypeName);
            WriteDescription(w, new[] { type.Description });
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void WriteDescription(XmlWriter w, IEnumerable<string> paragraphs)
    {
        w.WriteStartElement("maml", "description", MamlNs);
        foreach (string paragraph in paragraphs) WritePara(w, paragraph);
        w.WriteEndElement();
    }

    private static void WritePara(XmlWriter w, string text)
    {
        w.WriteStartElement("maml", "para", MamlNs);
        if (text.Length > 0) w.WriteString(text);
        w.WriteEndElement();
    }

    private static void WriteLink(XmlWriter w, string text, string uri)
    {
        w.WriteStartElement("maml", "navigationLink", MamlNs);
        Element(w, "maml", "linkText", MamlNs, text);
        w.WriteStartElement("maml", "uri", MamlNs);
        if (uri.Length > 0) w.WriteString(uri);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>An element with text; empty text is written as an empty element (&lt;x /&gt;), as XmlSerializer does.</summary>
    private static void Element(XmlWriter w, string prefix, string name, string ns, string text)
    {
        w.WriteStartElement(prefix, name, ns);
        if (text.Length > 0) w.WriteString(text);
        w.WriteEndElement();
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
